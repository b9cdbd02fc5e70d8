#!/usr/bin/env bash
# Sets up a fresh machine and runs the main job on the embedded default:
# install, start a seeded local Redmine (first run only), sync it, build the index, search.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

instance=${RRAG_REDMINE_DIR:-$PWD/.redmine-local}
port=${RRAG_REDMINE_PORT:-3030}
if ! bash scripts/redmine/redmine.sh status "$instance" >/dev/null 2>&1; then
  fresh=0
  [ -f "$instance/db.sqlite3" ] || fresh=1
  bash scripts/redmine/redmine.sh start "$instance" "$port" >/dev/null
  if [ "$fresh" = 1 ]; then
    python3 scripts/redmine/seed.py --api-key-file "$instance/env" >/dev/null
  fi
fi
set -a
# shellcheck disable=SC1091
. "$instance/env"
set +a
export RRAG_DATA_DIR=${RRAG_DATA_DIR:-$PWD/data}

rrag sync
rrag search "login fails after upgrade"
