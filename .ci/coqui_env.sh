#!/usr/bin/env bash
# Run a command with coqui-tts importable, without touching the project's environment and
# without pulling a second (multi-GB CUDA) torch:
#
#   bash .ci/coqui_env.sh python -m pytest tests/tts/test_coqui.py -q
#
# It makes (once) an overlay venv on top of the project's environment (AORGEN_PYTHON, default
# `python` on PATH): a .pth file puts the project's site-packages after the overlay's own, so
# pip sees torch, numpy and aorgen as installed and adds only what coqui-tts needs beside them
# (~130 MB), at the exact versions and hashes of requirements/coqui-overlay.lock and
# requirements/coqui-no-deps.lock (refreshed by `bash requirements/lock.sh`). The overlay's own
# transformers (5.23.0, see requirements/coqui-overlay.in) shadows the project's.
# Then it runs the command with AORGEN_REQUIRE_EXTRAS=coqui, so the coqui tests fail instead of
# skipping if the install is broken.
#
# torchaudio: coqui-tts imports it, but PyPI's newest torchaudio (2.11) for x86_64 is a CUDA
# build whose optional C++ extension links libc10_cuda.so and does not load beside a CPU torch
# (nor beside any torch other than 2.11). torchaudio's own loader treats an absent extension as
# a supported install (torchaudio/_extension/utils.py: _load_lib returns False when the file is
# missing); the extension only provides RNN-T loss, forced alignment, CTC decoders and faster
# lfilter loops, none of which coqui-tts's inference calls (its Resample/MelSpectrogram are
# pure torch). torchcodec: coqui-tts refuses to import without the package, but aorgen reads XTTS
# reference clips with soundfile, so torchcodec is never loaded and FFmpeg is not needed. When -
# and only when - torchaudio's extension fails to load, this script removes its .so files and
# says so.
set -euo pipefail

BASE_PYTHON=${AORGEN_PYTHON:-python}
VENV=${AORGEN_COQUI_VENV:-${TMPDIR:-/tmp}/aorgen-coqui-venv}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCKS=("$ROOT/requirements/coqui-overlay.lock" "$ROOT/requirements/coqui-no-deps.lock")

say() { echo "[coqui_env] $*" >&2; }

base_site=$("$BASE_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$BASE_PYTHON" -c 'import torch' 2>/dev/null || { say "torch is not importable by $BASE_PYTHON"; exit 1; }

# coqui's espeak phonemiser runs the espeak-ng program
bash "$ROOT/scripts/system-packages.sh" coqui || exit 1

stamp=$( (cat "${LOCKS[@]}"; echo "$base_site") | sha256sum | cut -c1-16)  # the locks and the base environment
if [ "$(cat "$VENV/.aorgen-lock" 2>/dev/null)" != "$stamp" ] || ! "$VENV/bin/python" -c 'import TTS.api' 2>/dev/null; then
  start=$SECONDS
  rm -rf "$VENV"
  "$BASE_PYTHON" -m venv "$VENV"
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$base_site')" > "$site/_aorgen_base_env.pth"
  pip() {  # quiet, minus this machine's notes about absent local index folders
    "$VENV/bin/python" -m pip --disable-pip-version-check "$@" 2> >(grep -v "is neither a file nor a directory" >&2)
  }
  # --no-deps: the locks are complete; packages the project's environment already has at the
  # locked version count as installed (through the .pth above), so no second torch can come in.
  for lock in "${LOCKS[@]}"; do pip install -q --no-deps --require-hashes -r "$lock"; done
  if ! "$VENV/bin/python" -c 'import torchaudio' 2>/dev/null; then
    say "torchaudio's C++ extension does not load with this torch; removing it (see header)"
    rm -f "$site"/torchaudio/lib/*.so
  fi
  "$VENV/bin/python" - "$base_site" <<'EOF2'
import sys, torch, TTS.api  # noqa: F401  (fails here, not in the tests, if the overlay is broken)
assert torch.__file__.startswith(sys.argv[1]), f"overlay has its own torch: {torch.__file__}"
EOF2
  echo "$stamp" > "$VENV/.aorgen-lock"
  say "overlay ready in $((SECONDS - start)) s: $(du -sh "$VENV" | cut -f1) at $VENV"
fi

export AORGEN_REQUIRE_EXTRAS="coqui${AORGEN_REQUIRE_EXTRAS:+,$AORGEN_REQUIRE_EXTRAS}"
PATH="$VENV/bin:$PATH" exec "$@"
