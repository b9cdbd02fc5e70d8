#!/usr/bin/env bash
# The whole test suite, the same gates locally and in CI: formatting, lint, types,
# pytest (which starts its own real Redmine), the notebooks through nbval, and the
# README's first command run from a clean clone (scripts/check_quickstart.sh).
# Everything runs in .venv, which scripts/install.sh creates or leaves as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
bash scripts/llama/ensure.sh  # a llama-server that runs on this CPU, for the real model
# Subprocesses that call `python` or `rrag` (tests, notebook kernels) get the venv's.
export PATH=$PWD/.venv/bin:$PATH
py=$PWD/.venv/bin/python

"$py" -m ruff format --check rrag tests benchmarks scripts runbooks notebooks
"$py" -m ruff check rrag tests benchmarks scripts runbooks notebooks
"$py" -m mypy rrag runbooks notebooks
lint-imports --no-cache --no-logo  # the layers contract (.importlinter): a back-edge fails
"$py" -m pytest -q
"$py" -m pytest -q --nbval-lax -p no:randomly runbooks notebooks
bash scripts/check_quickstart.sh
