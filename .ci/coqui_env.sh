#!/usr/bin/env bash
# Run a command with coqui-tts importable, beside the project's torch (how: .ci/overlay.sh):
#
#   bash .ci/coqui_env.sh python -m pytest tests/tts/test_coqui.py -q
#
# The overlay (~130 MB) holds what coqui-tts needs at the exact versions and hashes of
# requirements/coqui-overlay.lock and requirements/coqui-no-deps.lock (coqui-tts and
# coqui-tts-trainer, installed without their requirements). Its own transformers (5.23.0, see
# requirements/coqui-overlay.in) shadows the project's. torchcodec: coqui-tts refuses to import
# without the package, but aorgen reads XTTS reference clips with soundfile, so torchcodec is
# never loaded and FFmpeg is not needed. coqui's espeak phonemiser runs the espeak-ng program,
# which scripts/system-packages.sh installs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/.ci/overlay.sh"
bash "$ROOT/scripts/system-packages.sh" coqui || exit 1
overlay_run coqui "${AORGEN_COQUI_VENV:-${TMPDIR:-/tmp}/aorgen-coqui-venv}" "import TTS.api" \
  "$ROOT/requirements/coqui-overlay.lock" "$ROOT/requirements/coqui-no-deps.lock" -- "$@"
