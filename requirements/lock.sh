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
# chatterbox-overlay.lock what .ci/chatterbox_env.sh adds for the Chatterbox tests
#                     (chatterbox-overlay.in, resolved against test.lock less setuptools), then
#                     chatterbox-tts and s3tokenizer, whose requirements are not installed
set -euo pipefail
cd "$(dirname "$0")"
EXTRAS=test,eval,train,piper,ray,asr
PIP_TOOLS=pip-tools==7.6.2
NO_DEPS=(torchaudio==2.11.0 torchcodec==0.13.0)
CHATTERBOX_NO_DEPS=(chatterbox-tts==0.1.7 s3tokenizer==0.3.0)

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

# chatterbox-overlay.lock: setuptools is the overlay's own (<82 keeps pkg_resources for perth)
grep -v '^setuptools==' "$tools/constraints-all.txt" > "$tools/constraints-cb.txt"
compile --constraint "$tools/constraints-cb.txt" --output-file chatterbox-overlay.lock chatterbox-overlay.in
sed -i "s|-c $tools/constraints-cb.txt|-c test.lock (less setuptools)|" chatterbox-overlay.lock

hashed() {  # exact pins with the hashes of their wheels, for pip install --no-deps
  for req in "$@"; do
    "$tools/venv/bin/pip" download -q --no-deps --only-binary=:all: -d "$tools/$req" "$req" \
      2> >(grep -v "is neither a file nor a directory" >&2)
    echo "$req \\"
    for whl in "$tools/$req"/*.whl; do echo "    --hash=sha256:$(sha256sum "$whl" | cut -d' ' -f1)"; done
  done
}
hashed "${NO_DEPS[@]}" > coqui-no-deps.lock
{ echo "# without their requirements (see chatterbox-overlay.in)"; hashed "${CHATTERBOX_NO_DEPS[@]}"; } \
  >> chatterbox-overlay.lock
echo "lock files written: $(ls *.lock | tr '\n' ' ')"
