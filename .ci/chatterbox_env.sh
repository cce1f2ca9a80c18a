#!/usr/bin/env bash
# Run a command with chatterbox-tts importable, beside the project's torch:
#
#   bash .ci/chatterbox_env.sh python -m pytest tests/tts/test_chatterbox.py -q
#
# The overlay is built like .ci/kokoro_env.sh's: a venv whose .pth file puts the project's
# environment (AORGEN_PYTHON, default `python`) behind its own site-packages, and
# `pip install --no-deps --require-hashes` of requirements/chatterbox-overlay.lock. Its torch,
# numpy, transformers, librosa and huggingface_hub are the project's own (the lock is resolved
# against test.lock), so only chatterbox-tts and the libraries it imports that the project lacks
# are added: torchaudio, s3tokenizer, resemble-perth, conformer, diffusers, einops, omegaconf
# (the venv is ~130 MB: diffusers 61, Perth 36 with its watermarking weights), plus setuptools
# 81, which shadows the project's in the overlay because perth needs pkg_resources (removed in
# setuptools 82). chatterbox-tts pins torch 2.6 and its companions: it and s3tokenizer are
# installed without their requirements.
#
# torchaudio: the newest release (2.11) is a CUDA build whose C++ extension does not load beside
# a CPU torch 2.13; as in .ci/coqui_env.sh (read its header) the script removes the extension's
# .so files when - and only when - it fails to load. chatterbox uses torchaudio's Kaldi fbank and
# Resample, which are pure torch. The command runs with AORGEN_REQUIRE_EXTRAS=chatterbox: a
# broken overlay fails the tests instead of skipping them.
set -euo pipefail

BASE_PYTHON=${AORGEN_PYTHON:-python}
VENV=${AORGEN_CHATTERBOX_VENV:-${TMPDIR:-/tmp}/aorgen-chatterbox-venv}
LOCK="$(cd "$(dirname "$0")/.." && pwd)/requirements/chatterbox-overlay.lock"

say() { echo "[chatterbox_env] $*" >&2; }

base_site=$("$BASE_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$BASE_PYTHON" -c 'import torch' 2>/dev/null || { say "torch is not importable by $BASE_PYTHON"; exit 1; }
stamp=$( (cat "$LOCK"; echo "$base_site") | sha256sum | cut -c1-16)
if [ "$(cat "$VENV/.aorgen-lock" 2>/dev/null)" != "$stamp" ] || ! "$VENV/bin/python" -c 'import chatterbox.tts' 2>/dev/null; then
  start=$SECONDS
  rm -rf "$VENV"
  "$BASE_PYTHON" -m venv "$VENV"
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$base_site')" > "$site/_aorgen_base_env.pth"
  "$VENV/bin/python" -m pip --disable-pip-version-check install -q --no-deps --require-hashes -r "$LOCK" \
    2> >(grep -v "is neither a file nor a directory" >&2)
  if ! "$VENV/bin/python" -c 'import torchaudio' 2>/dev/null; then
    say "torchaudio's C++ extension does not load with this torch; removing it (see header)"
    rm -f "$site"/torchaudio/lib/*.so
  fi
  "$VENV/bin/python" - "$base_site" <<'PY'
import sys, torch, chatterbox.tts, perth  # noqa: F401  (fails here if the overlay is broken)
assert torch.__file__.startswith(sys.argv[1]), f"overlay has its own torch: {torch.__file__}"
assert perth.PerthImplicitWatermarker is not None, "perth's watermarker does not load"
PY
  echo "$stamp" > "$VENV/.aorgen-lock"
  say "overlay ready in $((SECONDS - start)) s: $(du -sh "$VENV" | cut -f1) at $VENV"
fi

export AORGEN_REQUIRE_EXTRAS="chatterbox${AORGEN_REQUIRE_EXTRAS:+,$AORGEN_REQUIRE_EXTRAS}"
PATH="$VENV/bin:$PATH" exec "$@"
