#!/usr/bin/env bash
# The README's first command, on a stock Debian 12 machine: install (scripts/install.sh:
# Debian's Redmine, .venv with rrag), start a seeded local Redmine (seeded on the first
# run only), sync it into the store, bring the index up to date, search, answer a
# question with citations, and say how to open JupyterLab and start the API.
#
# Environment:
#   RRAG_PYTHON=PATH          the Python that creates .venv (see scripts/install.sh)
#   RRAG_REDMINE_DIR=DIR      the local Redmine's files (default .redmine-local)
#   RRAG_REDMINE_PORT=PORT    its loopback port (default 3030)
#   RRAG_DATA_DIR=DIR         rrag's store and index (default data)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
export PATH=$PWD/.venv/bin:$PATH

instance=${RRAG_REDMINE_DIR:-$PWD/.redmine-local}
port=${RRAG_REDMINE_PORT:-3030}
if ! bash scripts/redmine/redmine.sh status "$instance" >/dev/null 2>&1; then
  fresh=0
  [ -f "$instance/db.sqlite3" ] || fresh=1
  bash scripts/redmine/redmine.sh start "$instance" "$port" >/dev/null
  if [ "$fresh" = 1 ]; then
    echo "quickstart: seeding the local Redmine (first run only)" >&2
    .venv/bin/python scripts/redmine/seed.py --api-key-file "$instance/env" >/dev/null
  fi
fi
set -a
# shellcheck disable=SC1091
. "$instance/env"
set +a
export RRAG_DATA_DIR=${RRAG_DATA_DIR:-$PWD/data}

# rrag's JSON log lines (stderr) would bury the transcript; warnings still show.
export RRAG_LOG_LEVEL=${RRAG_LOG_LEVEL:-WARNING}

# Each command is echoed first (arguments with spaces quoted), so the output reads as a
# transcript.
run() {
  local shown="" arg
  for arg in "$@"; do
    [[ $arg == *" "* ]] && arg="\"$arg\""
    shown+=" $arg"
  done
  printf '\n$%s\n' "$shown"
  "$@"
}

run rrag sync
run rrag index
run rrag search "login fails after upgrade"
run rrag ask "How was the LDAP authentication timeout after the upgrade to 5.0 fixed?"

cat <<EOF

Done. Redmine runs at $REDMINE_BASE_URL (stop it: bash scripts/redmine/redmine.sh stop $instance).
Next, from $PWD, with the same settings (set -a; . $instance/env; set +a; export RRAG_DATA_DIR=$RRAG_DATA_DIR):
  .venv/bin/jupyter lab notebooks/    # the tutorial notebooks, run by this .venv's kernel
  .venv/bin/rrag serve                # the HTTP API on 127.0.0.1:8000, OpenAPI schema at /schema
EOF
