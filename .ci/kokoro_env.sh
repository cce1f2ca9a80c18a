#!/usr/bin/env bash
# Run a command with the kokoro package importable, beside the project's torch (how:
# .ci/overlay.sh):
#
#   bash .ci/kokoro_env.sh python -m pytest tests/tts/test_kokoro.py -q
#
# The overlay holds requirements/kokoro-overlay.lock: kokoro, misaki, spaCy and their libraries
# (~300 MB, mostly spaCy). misaki's espeak-ng comes from the espeakng-loader wheel (library and
# data bundled); no spaCy model is needed (aorgen's kokoro engine tokenises with spaCy's
# built-in English rules when en_core_web_sm is absent).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/.ci/overlay.sh"
overlay_run kokoro "${AORGEN_KOKORO_VENV:-${TMPDIR:-/tmp}/aorgen-kokoro-venv}" "import kokoro.model, misaki.en" \
  "$ROOT/requirements/kokoro-overlay.lock" -- "$@"
