#!/usr/bin/env bash
# The whole test suite, the same gates locally and in CI: formatting, lint, types,
# pytest (which starts its own real Redmine), and the notebooks through nbval.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
python3 -m ruff format --check rrag tests benchmarks scripts
python3 -m ruff check rrag tests benchmarks scripts
python3 -m mypy rrag
python3 -m pytest -q
python3 -m pytest -q --nbval-lax -p no:randomly runbooks notebooks
