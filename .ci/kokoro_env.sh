#!/usr/bin/env bash
# Run a command with the kokoro package importable, beside the project's torch:
#
#   bash .ci/kokoro_env.sh python -m pytest tests/tts/test_kokoro.py -q
#
# The overlay is built like .ci/coqui_env.sh's (read its header): a venv whose .pth file puts
# the project's environment (AORGEN_PYTHON, default `python`) behind its own site-packages, and
# `pip install --no-deps --require-hashes` of requirements/kokoro-overlay.lock, whose torch,
# numpy and transformers are the project's own (the lock is resolved against test.lock), so
# only kokoro, misaki, spaCy and their libraries are added (~300 MB, mostly spaCy). misaki's espeak-ng
# comes from the espeakng-loader wheel (library and data bundled); no spaCy model is needed
# (aorgen's kokoro engine tokenises with spaCy's built-in English rules when en_core_web_sm is
# absent). The command runs with AORGEN_REQUIRE_EXTRAS=kokoro: a broken overlay fails the tests
# instead of skipping them.
set -euo pipefail

BASE_PYTHON=${AORGEN_PYTHON:-python}
VENV=${AORGEN_KOKORO_VENV:-${TMPDIR:-/tmp}/aorgen-kokoro-venv}
LOCK="$(cd "$(dirname "$0")/.." && pwd)/requirements/kokoro-overlay.lock"

base_site=$("$BASE_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
stamp=$( (cat "$LOCK"; echo "$base_site") | sha256sum | cut -c1-16)
if [ "$(cat "$VENV/.aorgen-lock" 2>/dev/null)" != "$stamp" ] || ! "$VENV/bin/python" -c 'import kokoro.model' 2>/dev/null; then
  rm -rf "$VENV"
  "$BASE_PYTHON" -m venv "$VENV"
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$base_site')" > "$site/_aorgen_base_env.pth"
  "$VENV/bin/python" -m pip --disable-pip-version-check install -q --no-deps --require-hashes -r "$LOCK" \
    2> >(grep -v "is neither a file nor a directory" >&2)
  "$VENV/bin/python" - "$base_site" <<'PY'
import sys, torch, kokoro.model, misaki.en  # noqa: F401  (fails here if the overlay is broken)
assert torch.__file__.startswith(sys.argv[1]), f"overlay has its own torch: {torch.__file__}"
PY
  echo "$stamp" > "$VENV/.aorgen-lock"
  echo "[kokoro_env] overlay ready: $(du -sh "$VENV" | cut -f1) at $VENV" >&2
fi

export AORGEN_REQUIRE_EXTRAS="kokoro${AORGEN_REQUIRE_EXTRAS:+,$AORGEN_REQUIRE_EXTRAS}"
PATH="$VENV/bin:$PATH" exec "$@"
