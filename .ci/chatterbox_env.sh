#!/usr/bin/env bash
# Run a command with chatterbox-tts importable, beside the project's torch (how:
# .ci/overlay.sh):
#
#   bash .ci/chatterbox_env.sh python -m pytest tests/tts/test_chatterbox.py -q
#
# The overlay holds requirements/chatterbox-overlay.lock. chatterbox-tts pins torch 2.6 and its
# companions: it and s3tokenizer are installed without their requirements. Beside them come only
# the libraries chatterbox imports that the project lacks: torchaudio, resemble-perth,
# conformer, diffusers, einops, omegaconf (~130 MB: diffusers 61, Perth 36 with its
# watermarking weights), plus setuptools 81, which shadows the project's in the overlay because
# perth needs pkg_resources (removed in setuptools 82). chatterbox uses torchaudio's Kaldi fbank
# and Resample, which are pure torch (the extension note is in .ci/overlay.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/.ci/overlay.sh"
overlay_run chatterbox "${AORGEN_CHATTERBOX_VENV:-${TMPDIR:-/tmp}/aorgen-chatterbox-venv}" \
  "import chatterbox.tts, perth; assert perth.PerthImplicitWatermarker is not None, 'perth does not load'" \
  "$ROOT/requirements/chatterbox-overlay.lock" -- "$@"
