#!/usr/bin/env bash
# Install, start and stop a real Glance 33.0.0 on loopback, as a target for imgconf.
#
#   scripts/glance.sh install
#   scripts/glance.sh start --dir DIR [--mode noauth|trusted] [--db sqlite|postgres] [--port N]
#   scripts/glance.sh start --dir DIR --mode keystone --auth-url URL --service-password-file F ...
#                           [--stores N] [--devstack]
#   scripts/glance.sh stop  --dir DIR
#
# --devstack (with --mode keystone --db postgres) configures Glance as devstack deploys it:
# secure RBAC (enforce_new_defaults, enforce_scope), the keystone+caching pipeline with an
# image cache, stores fs, fs2 (file) and web (http, read-only), the default web-download URI
# filter narrowed to ports 80 and 443, require_image_format_match = false, 2 API workers.
#
# `start` prints the endpoint (http://127.0.0.1:PORT) as its last stdout line and writes
# it to DIR/endpoint; progress goes to stderr so `EP=$(glance.sh start ...)` works.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${IMGCONF_GLANCE_VENV:-$REPO/.venv-glance}
PY=${PYTHON:-python3}
# Everything pip gets; the stamp file records it so `install` is a no-op when unchanged.
# glance 33 needed no extra pins on Python 3.11 (checked 2026-11); gunicorn is held to
# the major whose --no-control-socket flag we use.
REQS=(glance==33.0.0 'gunicorn>=27,<28' psycopg2-binary)
# IMGCONF_GLANCE_SERIES=2025.1: Glance 2025.1 (glance 30.x) with that release's upper
# constraints (a copy in scripts/), as its CI installs it; they hold gunicorn at 23.
if [[ ${IMGCONF_GLANCE_SERIES:-} == 2025.1 ]]; then
  REQS=(-c "$REPO/scripts/constraints-2025.1.txt" 'glance>=30,<31' gunicorn psycopg2-binary)
elif [[ -n ${IMGCONF_GLANCE_SERIES:-} ]]; then
  echo "glance.sh: IMGCONF_GLANCE_SERIES must be 2025.1 (or unset for Glance 33)" >&2
  exit 1
fi

TOOL=glance.sh
DEVSTACK=0
# shellcheck source=scripts/lib.sh
. "$REPO/scripts/lib.sh"

cmd_install() {
  venv_install glance 'glance.common.wsgi_app, gunicorn, psycopg2'
}

# Runs a PostgreSQL tool as `postgres` when we are root (initdb refuses root), else as us.
pg() {
  local tool=$1; shift
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$PGBIN/$tool" "$@"; else "$PGBIN/$tool" "$@"; fi
}

find_pgbin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && PGBIN=$d; done
  [[ -n ${PGBIN:-} ]]
}

# Starts a private PostgreSQL under DIR/pg and sets DB_URL.
start_postgres() {
  local dir=$1 port
  if ! find_pgbin; then
    say "installing Debian postgresql"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    find_pgbin || die "initdb not found after installing postgresql"
  fi
  install -d -m 700 "$dir/pg"
  if [[ $(id -u) == 0 ]]; then
    chmod o+x "$dir"   # postgres must be able to traverse DIR to reach its own data dir
    chown postgres: "$dir/pg"
    runuser -u postgres -- test -x "$dir/pg" ||
      die "user postgres cannot reach $dir/pg: make DIR's parents traversable (chmod o+x)"
  fi
  port=$(free_port)
  say "starting postgres on 127.0.0.1:$port"
  # trust auth is safe here: TCP is bound to 127.0.0.1 only and the socket lives in DIR/pg.
  pg initdb -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 >"$dir/pg-initdb.log"
  pg pg_ctl -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir/pg" start >/dev/null
  pg createdb -h 127.0.0.1 -p "$port" -U postgres glance
  DB_URL="postgresql+psycopg2://postgres@127.0.0.1:$port/glance"
}

write_config() {
  local dir=$1 mode=$2 db_url=$3 stores=${4:-1} pipeline flavor="" policy_new=false
  ((DEVSTACK)) && policy_new=true
  mkdir -p "$dir/images" "$dir/staging" "$dir/tasks"
  cat >"$dir/glance-api.conf" <<EOF
[DEFAULT]
enabled_backends = $(store_backends "$stores")
log_file = $dir/glance.log
use_stderr = false
# enabled_import_methods keeps its default: glance-direct, web-download, copy-image.

[database]
connection = $db_url

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = $dir/images

[os_glance_staging_store]
filesystem_store_datadir = $dir/staging

[os_glance_tasks_store]
filesystem_store_datadir = $dir/tasks

[oslo_policy]
enforce_new_defaults = $policy_new
enforce_scope = $policy_new
EOF
  write_store_config "$dir" "$stores"
  if [[ $mode == keystone ]]; then
    # The `keystone` flavor serves the paste file's `keystone` pipeline: keystonemiddleware's
    # authtoken validates X-Auth-Token with Keystone (as the `glance` service user) and
    # `context` builds the request context from what it found. No memcached: authtoken keeps
    # its token cache in process. The file now holds a password: readable by us alone.
    chmod 600 "$dir/glance-api.conf"
    flavor=keystone
    ((DEVSTACK)) && flavor=keystone+caching
    cat >>"$dir/glance-api.conf" <<EOF

[paste_deploy]
flavor = $flavor

[keystone_authtoken]
www_authenticate_uri = $AUTH_URL
auth_url = $AUTH_URL
auth_type = password
username = glance
password = $SERVICE_PASSWORD
user_domain_id = default
project_name = service
project_domain_id = default
EOF
  fi
  # Without a flavor the `default` pipeline of the paste file below is served.
  # Start from the paste file glance ships so filter names are Glance's own.
  # trusted: swap `unauthenticated-context` (admin, no project) for `context`, which
  # builds the request context from X-Identity-Status/X-Project-Id/X-User-Id/X-Roles
  # and, lacking `authtoken`, trusts them as sent.
  pipeline=unauthenticated-context
  [[ $mode == trusted ]] && pipeline=context
  sed -e "/^default = /s/ unauthenticated-context / $pipeline /" \
      -e "s|^disable_by_file_path = .*|disable_by_file_path = $dir/healthcheck_disable|" \
      "$VENV/etc/glance/glance-api-paste.ini" >"$dir/glance-api-paste.ini"
  if [[ $flavor == keystone+caching ]]; then
    grep -q "^keystone+caching = .* authtoken context cache rootapp$" "$dir/glance-api-paste.ini" ||
      die "unexpected keystone+caching pipeline in shipped glance-api-paste.ini"
  elif [[ $flavor == keystone ]]; then
    grep -q "^keystone = .* authtoken context rootapp$" "$dir/glance-api-paste.ini" ||
      die "unexpected keystone pipeline in shipped glance-api-paste.ini"
  else
    grep -q "^default = .* $pipeline rootapp$" "$dir/glance-api-paste.ini" ||
      die "unexpected pipeline in shipped glance-api-paste.ini"
  fi
  # An image cache makes the cache API (/v2/cache, 2.14; clean/prune 2.18) answer, and Glance
  # then offers v2.18. The sqlite driver keeps its records under the cache dir; the default
  # centralized_db driver would also need worker_self_reference_url. oslo.config merges this
  # second [DEFAULT] into the first.
  mkdir -p "$dir/cache"
  cat >>"$dir/glance-api.conf" <<EOF

[DEFAULT]
image_cache_dir = $dir/cache
image_cache_driver = sqlite
EOF
}

# Stores: `fs` always; `--stores N` adds fs2..fsN (file stores with their own dirs), a
# multi-store deployment for copy-image and per-store delete (B079, B270, B275).
store_backends() {
  local n=$1 i list=fs:file
  for ((i = 2; i <= n; i++)); do list+=", fs$i:file"; done
  ((DEVSTACK)) && list+=", web:http"   # read-only: serves images whose location is a URL
  echo "$list"
}

write_store_config() {
  local dir=$1 n=$2 i
  for ((i = 2; i <= n; i++)); do
    mkdir -p "$dir/images$i"
    printf '\n[fs%s]\nfilesystem_store_datadir = %s/images%s\n' "$i" "$dir" "$i" >>"$dir/glance-api.conf"
  done
  if ((DEVSTACK)); then
    # web-download: Glance's default URI filter (http and https), narrowed to the ports a
    # cloud serves, so the harness's own data server (a random loopback port) is refused; and
    # no check that uploaded data matches its disk_format.
    printf '\n[import_filtering_opts]\nallowed_ports = [80,443]\n' >>"$dir/glance-api.conf"
    printf '\n[image_format]\nrequire_image_format_match = false\n' >>"$dir/glance-api.conf"
    return
  fi
  # web-download may fetch from the harness's own data server on 127.0.0.1 (any port), and
  # from nowhere else: Glance drops loopback addresses unless the host is allow-listed, and
  # an allow-list rejects every other host. These options take bracketed lists.
  cat >>"$dir/glance-api.conf" <<EOF

[import_filtering_opts]
allowed_schemes = [http]
allowed_hosts = [127.0.0.1]
allowed_ports = []
EOF
}

wait_ready() {
  # 60 s is ample on an idle machine (~4 s seen); a busy CI box may need more.
  wait_http "$1" "$2/versions" "${IMGCONF_GLANCE_START_TIMEOUT:-60}" "$1/gunicorn.log" "$1/glance.log"
}

cmd_start() {
  local dir="" mode=noauth db=sqlite port="" workers=1 stores=1 ep
  while (($#)); do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      --mode) mode=$2; shift 2 ;;
      --db) db=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --stores) stores=$2; shift 2 ;;
      --devstack) DEVSTACK=1; shift ;;
      --auth-url) AUTH_URL=$2; shift 2 ;;
      --service-password-file) SERVICE_PASSWORD=$(cat "$2"); shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -n $dir ]] || die "start needs --dir DIR"
  [[ $stores =~ ^[1-9]$ ]] || die "--stores must be 1..9"
  [[ $mode == noauth || $mode == trusted || $mode == keystone ]] ||
    die "--mode must be noauth, trusted or keystone"
  if [[ $mode == keystone ]]; then
    # The service user's password comes from whoever created it (scripts/keystone.sh writes
    # it to its DIR/glance-service-password).
    [[ -n ${AUTH_URL:-} ]] || die "--mode keystone needs --auth-url URL"
    [[ -n ${SERVICE_PASSWORD:-} ]] ||
      die "--mode keystone needs --service-password-file F (password of service user glance)"
  fi
  [[ $db == sqlite || $db == postgres ]] || die "--db must be sqlite or postgres"
  if ((DEVSTACK)); then
    [[ $mode == keystone && $db == postgres ]] || die "--devstack goes with --mode keystone --db postgres"
    stores=2
  fi
  [[ -x $VENV/bin/gunicorn ]] || die "no Glance venv at $VENV: run '$0 install' first"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)   # absolute: it goes into URLs and config paths
  if [[ -f $dir/gunicorn.pid ]] && kill -0 "$(cat "$dir/gunicorn.pid")" 2>/dev/null; then
    die "Glance already running for $dir (stop it first)"
  fi

  # Any failure from here on stops whatever was started (gunicorn, postgres).
  trap 'cmd_stop --dir "$dir"' EXIT
  if [[ $db == postgres ]]; then
    start_postgres "$dir"
    workers=3   # concurrency only where the db takes parallel writers; sqlite gets 1
    ((DEVSTACK)) && workers=2
  else
    DB_URL="sqlite:///$dir/glance.sqlite"
  fi
  write_config "$dir" "$mode" "$DB_URL" "$stores"

  say "db_sync ($db)"
  OS_GLANCE_CONFIG_DIR=$dir "$VENV/bin/glance-manage" --config-dir "$dir" db_sync \
    >"$dir/db_sync.log" 2>&1 || { tail -n 30 "$dir/db_sync.log" >&2; die "db_sync failed"; }
  # The standard metadata definitions, as deployments load them: the resource types cases
  # associate with (OS::Glance::Image…) then exist before any case runs. Without them the first
  # two cases to associate one at the same moment both try to create it, and one gets 409.
  say "db_load_metadefs"
  OS_GLANCE_CONFIG_DIR=$dir "$VENV/bin/glance-manage" --config-dir "$dir" db_load_metadefs \
    "$VENV/etc/glance/metadefs" >"$dir/db_load_metadefs.log" 2>&1 ||
    { tail -n 30 "$dir/db_load_metadefs.log" >&2; die "db_load_metadefs failed"; }

  port=${port:-$(free_port)}
  ep="http://127.0.0.1:$port"
  say "starting gunicorn ($mode, $db, $workers worker(s)) on $ep"
  # Backgrounded by us rather than --daemon so the pidfile exists at once and a master that
  # dies early (port taken, bad config) is noticed. setsid gives gunicorn its own process
  # group (id = its pid): a Ctrl-C aimed at the caller does not reach it half-way, and
  # `stop` can signal master and workers together. --no-control-socket: gunicorn 27 would
  # otherwise share one control socket in $HOME between all instances.
  # gunicorn < 27 (Glance 2025.1's constraints hold 23) has no control socket, nor the flag.
  local control=(--no-control-socket)
  "$VENV/bin/gunicorn" --help | grep -q -- --no-control-socket || control=()
  OS_GLANCE_CONFIG_DIR=$dir setsid "$VENV/bin/gunicorn" --chdir "$dir" \
    --bind "127.0.0.1:$port" --workers "$workers" --timeout 120 "${control[@]}" \
    --access-logfile "$dir/access.log" glance.wsgi.api:application \
    </dev/null >>"$dir/gunicorn.log" 2>&1 &
  echo $! >"$dir/gunicorn.pid"
  wait_ready "$dir" "$ep" || die "start failed"
  trap - EXIT
  echo "$ep" >"$dir/endpoint"
  echo "$ep"
}

cmd_stop() {
  local dir=""
  while (($#)); do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -n $dir ]] || die "stop needs --dir DIR"
  [[ -d $dir ]] || return 0
  stop_gunicorn "$dir"
  if [[ -f $dir/pg/data/postmaster.pid ]] && find_pgbin; then
    pg pg_ctl -D "$dir/pg/data" -m fast -w stop >/dev/null || true
  fi
}

case ${1:-} in
  install) shift; cmd_install "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) die "usage: $0 install | start --dir DIR [--mode noauth|trusted|keystone] [--auth-url URL --service-password-file F] [--db sqlite|postgres] [--port N] [--stores N] [--devstack] | stop --dir DIR" ;;
esac
