# Overlay environments, sourced by .ci/coqui_env.sh, .ci/kokoro_env.sh and .ci/chatterbox_env.sh:
# engines whose packages pin another torch run their tests in a venv of their own, made once on
# top of the project's environment (AORGEN_PYTHON, default `python` on PATH), without touching
# it and without pulling a second (multi-GB CUDA) torch. A .pth file puts the project's
# site-packages after the overlay's own, so pip sees torch, numpy and aorgen as installed;
# `pip install --no-deps --require-hashes` of the engine's locks (resolved against test.lock by
# `bash requirements/lock.sh`) adds only what the engine needs beside them. The overlay is made
# again when a lock or the base environment changes, and the command runs with the engine in
# AORGEN_REQUIRE_EXTRAS, so its tests fail instead of skipping if the install is broken.
#
# torchaudio: PyPI's newest torchaudio (2.11) for x86_64 is a CUDA build whose optional C++
# extension links libc10_cuda.so and does not load beside a CPU torch (nor beside any torch
# other than 2.11). torchaudio's own loader treats an absent extension as a supported install
# (torchaudio/_extension/utils.py: _load_lib returns False when the file is missing); the
# extension only provides RNN-T loss, forced alignment, CTC decoders and faster lfilter loops,
# none of which the engines' inference calls (Resample, MelSpectrogram and the Kaldi fbank are
# pure torch). When - and only when - the extension fails to load, the .so files are removed,
# and the script says so.
#
#   overlay_run NAME VENV CHECK LOCK... -- COMMAND...
# CHECK: Python that fails when the engine is not importable (run before the command).

overlay_run() {
  local name=$1 venv=$2 check=$3
  shift 3
  local locks=()
  while [ "$1" != "--" ]; do locks+=("$1"); shift; done
  shift
  local base_python=${AORGEN_PYTHON:-python} base_site stamp site start
  say() { echo "[${name}_env] $*" >&2; }

  base_site=$("$base_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  "$base_python" -c 'import torch' 2>/dev/null || { say "torch is not importable by $base_python"; exit 1; }
  stamp=$( (cat "${locks[@]}"; echo "$base_site") | sha256sum | cut -c1-16)  # the locks and the base environment
  if [ "$(cat "$venv/.aorgen-lock" 2>/dev/null)" != "$stamp" ] || ! "$venv/bin/python" -c "$check" 2>/dev/null; then
    start=$SECONDS
    rm -rf "$venv"
    "$base_python" -m venv "$venv"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "import site; site.addsitedir('$base_site')" > "$site/_aorgen_base_env.pth"
    for lock in "${locks[@]}"; do  # quiet, minus this machine's notes about absent local index folders
      "$venv/bin/python" -m pip --disable-pip-version-check install -q --no-deps --require-hashes -r "$lock" \
        2> >(grep -v "is neither a file nor a directory" >&2)
    done
    if [ -d "$site/torchaudio" ] && ! "$venv/bin/python" -c 'import torchaudio' 2>/dev/null; then
      say "torchaudio's C++ extension does not load with this torch; removing it (see .ci/overlay.sh)"
      rm -f "$site"/torchaudio/lib/*.so
    fi
    "$venv/bin/python" -c "$check"  # fails here, not in the tests, if the overlay is broken
    "$venv/bin/python" - "$base_site" <<'PY'
import sys, torch
assert torch.__file__.startswith(sys.argv[1]), f"overlay has its own torch: {torch.__file__}"
PY
    echo "$stamp" > "$venv/.aorgen-lock"
    say "overlay ready in $((SECONDS - start)) s: $(du -sh "$venv" | cut -f1) at $venv"
  fi

  export AORGEN_REQUIRE_EXTRAS="$name${AORGEN_REQUIRE_EXTRAS:+,$AORGEN_REQUIRE_EXTRAS}"
  PATH="$venv/bin:$PATH" exec "$@"
}
