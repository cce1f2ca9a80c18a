#!/usr/bin/env bash
# Run a command with coqui-tts importable, without touching the project's environment and
# without pulling a second (multi-GB CUDA) torch:
#
#   bash .ci/coqui_env.sh python -m pytest tests/test_tts_coqui.py -q
#
# It makes (once) an overlay venv on top of the project's environment (AORGEN_PYTHON, default
# `python` on PATH): a .pth file puts the project's site-packages after the overlay's own, so
# pip sees torch, numpy, transformers and aorgen as installed and adds only what coqui-tts needs
# beside them (~130 MB). Then it runs the command with AORGEN_REQUIRE_EXTRAS=coqui, so the
# coqui tests fail instead of skipping if the install is broken.
#
# torchaudio: coqui-tts imports it, but PyPI's newest torchaudio (2.11) for x86_64 is a CUDA
# build whose optional C++ extension links libc10_cuda.so and does not load beside a CPU torch
# (nor beside any torch other than 2.11). torchaudio's own loader treats an absent extension as
# a supported install (torchaudio/_extension/utils.py: _load_lib returns False when the file is
# missing); the extension only provides RNN-T loss, forced alignment, CTC decoders and faster
# lfilter loops, none of which coqui-tts's inference calls (its Resample/MelSpectrogram are
# pure torch, its audio loading goes through torchcodec). So when - and only when - the
# extension fails to load, this script removes its three .so files and says so.
set -euo pipefail

BASE_PYTHON=${AORGEN_PYTHON:-python}
VENV=${AORGEN_COQUI_VENV:-${TMPDIR:-/tmp}/aorgen-coqui-venv}
COQUI_TTS=${COQUI_TTS_VERSION:-0.28.0}
TORCHAUDIO=${TORCHAUDIO_VERSION:-2.11.0}
TORCHCODEC=${TORCHCODEC_VERSION:-0.13.0}
PACKAGES=("coqui-tts==$COQUI_TTS" "torchcodec==$TORCHCODEC" six)  # coqui-tts 0.28 imports six undeclared

say() { echo "[coqui_env] $*" >&2; }

base_site=$("$BASE_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$BASE_PYTHON" -c 'import torch' 2>/dev/null || { say "torch is not importable by $BASE_PYTHON"; exit 1; }

if ! command -v espeak-ng >/dev/null; then  # coqui's espeak phonemizer runs the espeak-ng program
  if [ "$(id -u)" = 0 ]; then
    say "installing espeak-ng (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
  else
    say "coqui's phonemizer needs the espeak-ng program: apt-get install espeak-ng"; exit 1
  fi
fi

if ! "$VENV/bin/python" -c 'import TTS.api' 2>/dev/null; then
  start=$SECONDS
  rm -rf "$VENV"
  "$BASE_PYTHON" -m venv "$VENV"
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$base_site')" > "$site/_aorgen_base_env.pth"
  pip() {  # quiet, minus this machine's notes about absent local index folders
    "$VENV/bin/python" -m pip --disable-pip-version-check "$@" 2> >(grep -v "is neither a file nor a directory" >&2)
  }

  plan=$(pip install --dry-run "${PACKAGES[@]}" 2>/dev/null | sed -n 's/^Would install //p')
  if tr ' ' '\n' <<<"$plan" | grep -Eq '^(torch-[0-9]|nvidia-|triton-)'; then
    say "refusing: this would install another torch/CUDA stack: $plan"; exit 1
  fi
  pip install -q "${PACKAGES[@]}"
  pip install -q --no-deps "torchaudio==$TORCHAUDIO"
  if ! "$VENV/bin/python" -c 'import torchaudio' 2>/dev/null; then
    say "torchaudio $TORCHAUDIO's C++ extension does not load with this torch; removing it (see header)"
    rm -f "$site"/torchaudio/lib/*.so
  fi
  "$VENV/bin/python" - "$base_site" <<'EOF'
import sys, torch, TTS.api  # noqa: F401  (fails here, not in the tests, if the overlay is broken)
assert torch.__file__.startswith(sys.argv[1]), f"overlay has its own torch: {torch.__file__}"
EOF
  say "overlay ready in $((SECONDS - start)) s: $(du -sh "$VENV" | cut -f1) at $VENV"
fi

export AORGEN_REQUIRE_EXTRAS="coqui${AORGEN_REQUIRE_EXTRAS:+,$AORGEN_REQUIRE_EXTRAS}"
PATH="$VENV/bin:$PATH" exec "$@"
