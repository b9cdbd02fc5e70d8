#!/usr/bin/env bash
# Runs isolated, throwaway Redmine instances (Debian's Redmine 5.0 package) on
# loopback, for development, tests and benchmarks.
#
# Usage:
#   redmine.sh install                 install redmine + redmine-sqlite (root)
#   redmine.sh start DIR PORT          create/start an instance, print its URL
#   redmine.sh stop DIR                stop the instance running from DIR
#   redmine.sh status DIR              exit 0 when the instance answers
#   redmine.sh runner DIR FILE [ARGS]  `rails runner FILE ARGS` against DIR's DB
#
# An instance keeps everything under DIR: db.sqlite3, server.pid, server.log,
# config/ (database.yml, secret key), log/, tmp/, files/ (attachments), and
# DIR/env, a shell-format file (mode 600) with REDMINE_BASE_URL,
# REDMINE_API_KEY and REDMINE_DIR. The API key is written nowhere else.
#
# Isolation uses the Debian package's multi-tenancy: REDMINE_INSTANCE=NAME
# makes Redmine use /usr/share/redmine/instances/NAME (= /var/lib/redmine/NAME)
# for config, log, tmp and files; that path is a symlink to DIR.
#
# Environment:
#   RRAG_REDMINE_SERVER=webrick|puma   app server (default webrick; puma uses
#                                      Debian's "puma" package, 2 workers)
#   RRAG_REDMINE_PUMA_WORKERS=N        puma workers (default: number of cores)
#   RRAG_REDMINE_PUMA_THREADS=N        threads per puma worker (default 4)
#   RRAG_REDMINE_TEMPLATE_DIR=PATH     cache of migrated template databases
#                                      (default /tmp/rrag-redmine-template)
#   RRAG_REDMINE_START_TIMEOUT=SECS    readiness timeout (default 120)
set -euo pipefail

REDMINE_HOME=/usr/share/redmine
INSTANCES_DIR=/var/lib/redmine
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVER=${RRAG_REDMINE_SERVER:-webrick}
TEMPLATE_ROOT=${RRAG_REDMINE_TEMPLATE_DIR:-/tmp/rrag-redmine-template}
START_TIMEOUT=${RRAG_REDMINE_START_TIMEOUT:-120}

GEMFILE_LOCAL_CONTENT='# Written by rrag scripts/redmine/redmine.sh: app servers for Debian'"'"'s Redmine.
gem "webrick"
# Debian'"'"'s "puma" package, when installed (RRAG_REDMINE_SERVER=puma).
gem "puma" unless Gem::Specification.find_all_by_name("puma").empty?'

die() { echo "redmine.sh: $*" >&2; exit 1; }
log() { echo "redmine.sh: $*" >&2; }

usage() {
  sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

pkg_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)
  [[ $status == "install ok installed" ]]
}

apt_install() {
  [[ $(id -u) == 0 ]] || die "installing $* needs root"
  # Update the package lists only when apt does not know the packages yet.
  local pkg
  for pkg in "$@"; do
    if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      log "apt-get update"
      apt-get update -qq -o DPkg::Lock::Timeout=600 >&2
      break
    fi
  done
  log "apt-get install $*"
  # Wait for a concurrent apt/dpkg run instead of failing on its lock.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o DPkg::Lock::Timeout=600 "$@" >&2
}

cmd_install() {
  local missing=() pkg
  for pkg in redmine redmine-sqlite ruby-webrick; do
    pkg_installed "$pkg" || missing+=("$pkg")
  done
  if [[ $SERVER == puma ]] && ! pkg_installed puma; then
    missing+=(puma)
  fi
  if ((${#missing[@]})); then
    apt_install "${missing[@]}"
    # New gems (e.g. puma) change what Gemfile.local resolves to.
    rm -f "$INSTANCES_DIR/Gemfile.lock"
  fi
  # Debian's Redmine has no app server in its Gemfile; add ours and drop the
  # lock Bundler then regenerates (it is a symlink target in /var/lib/redmine).
  local gemfile_local=$REDMINE_HOME/Gemfile.local
  if [[ ! -f $gemfile_local || $(<"$gemfile_local") != "$GEMFILE_LOCAL_CONTENT" ]]; then
    [[ -w $REDMINE_HOME ]] || die "writing $gemfile_local needs root"
    printf '%s\n' "$GEMFILE_LOCAL_CONTENT" >"$gemfile_local"
    rm -f "$INSTANCES_DIR/Gemfile.lock"
    log "wrote $gemfile_local"
  fi
}

# Sets the environment every Rails command of instance DIR needs.
instance_env() {
  local dir=$1
  TENANT=rrag-$(printf '%s' "$dir" | sha1sum | cut -c1-12)
  export REDMINE_INSTANCE=$TENANT
  export DATABASE_URL=sqlite3:$dir/db.sqlite3
  export RAILS_ENV=production
  export REDMINE_LANG=en
}

# Lays out DIR and points the tenant symlink at it.
prepare_dir() {
  local dir=$1
  mkdir -p "$dir"/{config,log,tmp,files,public/plugin_assets}
  if [[ ! -s $dir/config/secret_key.txt ]]; then
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$dir/config/secret_key.txt")
  fi
  cat >"$dir/config/database.yml" <<EOF
production:
  adapter: sqlite3
  database: $dir/db.sqlite3
  encoding: utf8
  pool: 16
  timeout: 10000
EOF
  cat >"$dir/config/configuration.yml" <<EOF
production:
  email_delivery:
    delivery_method: :test
    perform_deliveries: false
  attachments_storage_path: $dir/files
EOF
  [[ -w $INSTANCES_DIR ]] || die "$INSTANCES_DIR is not writable (run as root)"
  # Tenant links of instances whose DIR is gone (never stopped) are dropped.
  find "$INSTANCES_DIR" -maxdepth 1 -name 'rrag-*' -xtype l -delete
  ln -sfn "$dir" "$INSTANCES_DIR/$TENANT"
}

abs_dir() {
  [[ -n ${1:-} ]] || usage
  realpath -m "$1"
}

rails() {
  (cd "$REDMINE_HOME" && ruby bin/rails "$@")
}

template_file() {
  local version hash
  version=$(dpkg-query -W -f='${Version}' redmine)
  hash=$(sha1sum "$HERE/instance.rb" | cut -c1-8)
  printf '%s/%s-%s/db.sqlite3' "$TEMPLATE_ROOT" "$version" "$hash"
}

# Prints nothing; exit 0 when http://127.0.0.1:PORT/ answers with any status.
http_answers() {
  ruby -rnet/http -e '
    begin
      Net::HTTP.start("127.0.0.1", ARGV[0].to_i, open_timeout: 2, read_timeout: 10) { |h| h.get("/") }
    rescue StandardError
      exit 1
    end' "$1"
}

pid_alive() {
  [[ -f $1 ]] && kill -0 "$(<"$1")" 2>/dev/null
}

fail_with_log() {
  local dir=$1 msg=$2
  {
    echo "redmine.sh: $msg; last lines of $dir/server.log:"
    tail -n 40 "$dir/server.log" 2>/dev/null || true
  } >&2
  exit 1
}

start_server() {
  local dir=$1 port=$2
  rm -f "$dir/server.pid"
  case $SERVER in
  webrick)
    (cd "$REDMINE_HOME" && exec setsid ruby -r "$HERE/webrick_nodelay.rb" \
      bin/rails server -u webrick \
      -b 127.0.0.1 -p "$port" -P "$dir/server.pid" \
      </dev/null >"$dir/server.log" 2>&1) &
    ;;
  puma)
    pkg_installed puma || die "RRAG_REDMINE_SERVER=puma needs Debian's puma package: run '$0 install' with RRAG_REDMINE_SERVER=puma"
    local workers=${RRAG_REDMINE_PUMA_WORKERS:-$(nproc)} threads=${RRAG_REDMINE_PUMA_THREADS:-4}
    cat >"$dir/puma.rb" <<EOF
directory "$REDMINE_HOME"
rackup "$REDMINE_HOME/config.ru"
environment "production"
bind "tcp://127.0.0.1:$port"
pidfile "$dir/server.pid"
workers $workers
threads $threads, $threads
# No preload: each worker opens its own SQLite connections after the fork.
preload_app! false
EOF
    (cd "$REDMINE_HOME" && exec setsid ruby -S puma -C "$dir/puma.rb" \
      </dev/null >"$dir/server.log" 2>&1) &
    ;;
  *) die "unknown RRAG_REDMINE_SERVER=$SERVER (webrick or puma)" ;;
  esac
  SERVER_PID=$!
}

wait_ready() {
  local dir=$1 port=$2 deadline=$((SECONDS + START_TIMEOUT))
  until http_answers "$port"; do
    kill -0 "$SERVER_PID" 2>/dev/null || fail_with_log "$dir" "server exited during start"
    ((SECONDS < deadline)) || {
      kill "$SERVER_PID" 2>/dev/null || true
      fail_with_log "$dir" "no answer on port $port after ${START_TIMEOUT}s"
    }
    sleep 0.3
  done
}

cmd_start() {
  [[ $# == 2 ]] || usage
  local dir port
  dir=$(abs_dir "$1")
  port=$2
  [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number"
  [[ -d $REDMINE_HOME ]] || die "Redmine is not installed: run '$0 install'"
  pid_alive "$dir/server.pid" && die "an instance already runs from $dir (pid $(<"$dir/server.pid"))"
  http_answers "$port" && die "port $port is already in use"
  instance_env "$dir"
  prepare_dir "$dir"

  local template key_file=$dir/.api_key
  template=$(template_file)
  rm -f "$key_file"
  : >"$dir/setup.log"
  if [[ -f $dir/db.sqlite3 ]]; then
    log "reusing $dir/db.sqlite3"
    rails runner "$HERE/instance.rb" "$key_file" >>"$dir/setup.log" 2>&1 ||
      fail_setup "$dir" "instance setup failed"
  elif [[ -f $template ]]; then
    cp "$template" "$dir/db.sqlite3"
    rails runner "$HERE/instance.rb" "$key_file" >>"$dir/setup.log" 2>&1 ||
      fail_setup "$dir" "instance setup failed"
  else
    log "building template database $template"
    mkdir -p "$(dirname "$template")"
    rails db:migrate >>"$dir/setup.log" 2>&1 || fail_setup "$dir" "db:migrate failed"
    rails runner "$HERE/instance.rb" "$key_file" "$template" >>"$dir/setup.log" 2>&1 ||
      fail_setup "$dir" "instance setup failed"
  fi
  local key
  key=$(<"$key_file")
  rm -f "$key_file"

  start_server "$dir" "$port"
  wait_ready "$dir" "$port"

  local url=http://127.0.0.1:$port
  (
    umask 077
    rm -f "$dir/env"
    printf 'REDMINE_BASE_URL=%s\nREDMINE_API_KEY=%s\nREDMINE_DIR=%s\n' "$url" "$key" "$dir" >"$dir/env"
  )
  echo "$url"
}

fail_setup() {
  {
    echo "redmine.sh: $2; from $1/setup.log:"
    # A Ruby error's message is its first line, then the backtrace.
    grep -m 5 -E '(Error|Exception)\b' "$1/setup.log" || true
    echo "..."
    tail -n 15 "$1/setup.log"
  } >&2
  exit 1
}

cmd_stop() {
  [[ $# == 1 ]] || usage
  local dir pid
  dir=$(abs_dir "$1")
  if pid_alive "$dir/server.pid"; then
    pid=$(<"$dir/server.pid")
    kill -TERM "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        log "pid $pid ignored SIGTERM for 30 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.2
    done
  fi
  rm -f "$dir/server.pid"
  instance_env "$dir"
  if [[ -L $INSTANCES_DIR/$TENANT ]]; then
    rm -f "$INSTANCES_DIR/$TENANT"
  fi
}

cmd_status() {
  [[ $# == 1 ]] || usage
  local dir url
  dir=$(abs_dir "$1")
  pid_alive "$dir/server.pid" || die "not running"
  url=$(sed -n 's/^REDMINE_BASE_URL=//p' "$dir/env")
  http_answers "${url##*:}" || die "pid $(<"$dir/server.pid") runs but $url does not answer"
  echo "$url"
}

cmd_runner() {
  [[ $# -ge 2 ]] || usage
  local dir file
  dir=$(abs_dir "$1")
  file=$(realpath "$2")
  shift 2
  [[ -f $dir/db.sqlite3 ]] || die "no database in $dir: run '$0 start' first"
  instance_env "$dir"
  [[ -w $INSTANCES_DIR ]] || die "$INSTANCES_DIR is not writable (run as root)"
  ln -sfn "$dir" "$INSTANCES_DIR/$TENANT"
  rails runner "$file" "$@"
}

main() {
  local cmd=${1:-}
  [[ -n $cmd ]] || usage
  shift
  case $cmd in
  install) cmd_install "$@" ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  runner) cmd_runner "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
  esac
}

main "$@"
