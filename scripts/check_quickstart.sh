#!/usr/bin/env bash
# CI test of the README's first command: clones HEAD into a temp dir and runs
# `bash scripts/quickstart.sh` there as a user without a pre-configured Python would
# (PATH without pyenv/conda, no rrag or Python variables set, so .venv is made by the
# system python3), then asserts that
#   - .venv was made by the system Python (/usr/bin/python3, when the machine has it),
#   - `rrag ask` printed a citation of an issue, and GET /issues/N.json on the seeded
#     Redmine answers 200 with that issue,
#   - the closing lines say how to open JupyterLab and start the API,
#   - a second scripts/install.sh reinstalls nothing.
# Its Redmine runs on a free port from the clone's own dir and is stopped at the end.
# Commits only: uncommitted changes of the checkout are not in the clone.
#
# Environment:
#   RRAG_CHECK_QUICKSTART_KEEP=1   keep the temp dir (clone, .venv, Redmine files)
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/rrag-quickstart-XXXXXX)
clone=$work/rrag
out=$work/quickstart.out
started=$SECONDS

fail() {
  echo "check_quickstart: FAILED: $*" >&2
  [[ -f $out ]] && { echo "--- last lines of the quickstart output ($out) ---"; tail -n 60 "$out"; } >&2
  exit 1
}

cleanup() {
  if [[ -d $clone/.redmine-local ]]; then
    bash "$clone/scripts/redmine/redmine.sh" stop "$clone/.redmine-local" || true
  fi
  if [[ ${RRAG_CHECK_QUICKSTART_KEEP:-} == 1 ]]; then
    echo "check_quickstart: kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs in a subshell: the caller's Python and rrag settings must not reach the clone.
as_new_user() {
  (
    for var in $(compgen -e); do
      case $var in
      RRAG_* | REDMINE_* | EMBEDDING_* | RETRIEVAL_* | LLM_* | OLLAMA_* | APP_ENV | \
        VIRTUAL_ENV | PYTHON* | PYENV* | CONDA* | JUPYTER*) unset "$var" ;;
      esac
    done
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    "$@"
  )
}

port=$(free_port)
git clone --quiet "$PWD" "$clone"
echo "check_quickstart: bash scripts/quickstart.sh in a clone of $(git rev-parse --short HEAD), Redmine on port $port" >&2
as_new_user env RRAG_REDMINE_PORT="$port" bash "$clone/scripts/quickstart.sh" >"$out" 2>&1 ||
  fail "scripts/quickstart.sh exited with $?"
took=$((SECONDS - started))

if [[ -x /usr/bin/python3 ]]; then
  base=$("$clone/.venv/bin/python" -c 'import sys; print(sys.base_prefix)')
  [[ $base == /usr ]] || fail ".venv was made by a Python under $base, not the system /usr/bin/python3"
fi

# A citation line of `rrag ask`: "  [1] #61 subject: http://127.0.0.1:PORT/issues/61#change-124".
url_re="http://127\.0\.0\.1:$port/issues/[0-9]+"
citation=$(sed -n '/^\$ rrag ask /,$p' "$out" | grep -E "^  \[[0-9]+\] #[0-9]+ .*: $url_re" | head -n 1) ||
  fail "rrag ask printed no citation of an issue on port $port"
url=$(grep -oE "$url_re" <<<"$citation" | head -n 1)
issue=${url##*/}

# shellcheck disable=SC1091
key=$(. "$clone/.redmine-local/env" && echo "$REDMINE_API_KEY")
got=$("$clone/.venv/bin/python" - "$url.json" "$key" <<'EOF'
import sys

import httpx

reply = httpx.get(sys.argv[1], headers={"X-Redmine-API-Key": sys.argv[2]}, timeout=30)
issue = reply.json()["issue"]["id"] if reply.status_code == 200 else None
print(reply.status_code, issue)
EOF
) || fail "GET $url.json failed"
[[ $got == "200 $issue" ]] || fail "GET $url.json answered '$got', expected '200 $issue'"

grep -qF '.venv/bin/jupyter lab notebooks/' "$out" || fail "no JupyterLab instructions at the end"
grep -qF '.venv/bin/rrag serve' "$out" || fail "no API instructions at the end"

rerun=$SECONDS
again=$(as_new_user bash "$clone/scripts/install.sh" 2>&1) || fail "second install.sh failed: $again"
[[ -z $again ]] || fail "second install.sh did something: $again"

echo "check_quickstart: passed in $((SECONDS - started)) s (quickstart.sh $took s): cited issue #$issue, GET $url.json 200; second install.sh took $((SECONDS - rerun)) s" >&2
