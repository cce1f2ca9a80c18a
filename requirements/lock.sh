#!/usr/bin/env bash
# Refresh the tracked lock files from pyproject.toml (run after changing a dependency):
#
#   bash requirements/lock.sh
#
# test.lock           the project with the extras the test command installs, exact versions and
#                     hashes (pip-compile --generate-hashes); the README's test command installs it
# coqui-overlay.lock  what .ci/coqui_env.sh adds beside it for the Coqui tests (coqui-overlay.in),
#                     resolved against test.lock so shared packages keep test.lock's versions
# coqui-no-deps.lock  torchaudio and torchcodec for that overlay, installed without their
#                     requirements (their wheels here pin another torch; see .ci/coqui_env.sh)
# kokoro-overlay.lock what .ci/kokoro_env.sh adds for the Kokoro tests (kokoro-overlay.in)
set -euo pipefail
cd "$(dirname "$0")"
EXTRAS=test,eval,train,piper,ray,asr
PIP_TOOLS=pip-tools==7.6.2
NO_DEPS=(torchaudio==2.11.0 torchcodec==0.13.0)

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q "$PIP_TOOLS" 2> >(grep -v "is neither a file nor a directory" >&2)
compile() { "$tools/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
  --no-emit-find-links --no-header "$@" 2> >(grep -v "is neither a file nor a directory" >&2); }

compile --extra "$EXTRAS" --output-file test.lock ../pyproject.toml
sed -i 's#file://[^ ]*/\(aorgen\)#\1#' test.lock
grep -v -E '^(transformers|tokenizers)==' test.lock | grep -v '^ *--hash' | grep -E '^[a-zA-Z0-9]' \
  | sed 's/ *\\$//' > "$tools/constraints.txt"
compile --constraint "$tools/constraints.txt" --output-file coqui-overlay.lock coqui-overlay.in
sed -i "s|-c $tools/constraints.txt|-c test.lock (less transformers, tokenizers)|" coqui-overlay.lock
# kokoro-overlay.lock: what .ci/kokoro_env.sh adds, resolved against the whole of test.lock
grep -v '^ *--hash' test.lock | grep -E '^[a-zA-Z0-9]' | sed 's/ *\\$//' > "$tools/constraints-all.txt"
compile --constraint "$tools/constraints-all.txt" --output-file kokoro-overlay.lock kokoro-overlay.in
sed -i "s|-c $tools/constraints-all.txt|-c test.lock|" kokoro-overlay.lock

for req in "${NO_DEPS[@]}"; do
  "$tools/venv/bin/pip" download -q --no-deps --only-binary=:all: -d "$tools/$req" "$req" \
    2> >(grep -v "is neither a file nor a directory" >&2)
  echo "$req \\"
  for whl in "$tools/$req"/*.whl; do echo "    --hash=sha256:$(sha256sum "$whl" | cut -d' ' -f1)"; done
done > coqui-no-deps.lock
echo "lock files written: $(ls *.lock | tr '\n' ' ')"
