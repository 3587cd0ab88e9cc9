#!/usr/bin/env bash
# Install, start and stop a real Keystone on loopback, as the identity service of a real Glance
# for imgconf's Keystone certification runs.
#
#   scripts/keystone.sh install
#   scripts/keystone.sh start --dir DIR --image-url URL [--port N]
#   scripts/keystone.sh stop  --dir DIR
#
# Keystone 30.0.0 is the OpenStack 2026.2 release, the one of Glance 33.0.0 (glance's own
# migration release is 2026_2; both series count one major per release: keystone 25 and
# glance 28 were 2024.1). sqlite, fernet tokens, `keystone-manage bootstrap`, and keystone's
# WSGI application (keystone.wsgi.api:application) under gunicorn.
#
# `start` also creates what the runs need and writes DIR/clouds.yaml (no secrets) and
# DIR/secure.yaml (passwords and the application credential secret, mode 600):
#   clouds imgconf-owner, imgconf-other, imgconf-third, imgconf-admin (persona users, each a
#   member of its own project; admin has the admin role), imgconf-appcred (an application
#   credential of the owner user), keystone-admin (the bootstrap admin);
#   the service user `glance` (project `service`, role admin) for Glance's authtoken, whose
#   password is in DIR/glance-service-password;
#   the `image` service with public/internal/admin endpoints at --image-url, region RegionOne.
# The auth URL (http://127.0.0.1:PORT/v3) is the last stdout line and goes to DIR/auth_url.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${IMGCONF_KEYSTONE_VENV:-$REPO/.venv-keystone}
PY=${PYTHON:-python3}
REQS=(keystone==30.0.0 'gunicorn>=27,<28')

TOOL=keystone.sh
# shellcheck source=scripts/lib.sh
. "$REPO/scripts/lib.sh"

cmd_install() {
  venv_install keystone 'keystone.server.wsgi, gunicorn'
}

secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))'; }

write_config() {
  local dir=$1
  cat >"$dir/keystone.conf" <<EOF
[DEFAULT]
log_file = $dir/keystone.log
use_stderr = false

[database]
connection = sqlite:///$dir/keystone.sqlite

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = $dir/fernet-keys

[fernet_receipts]
key_repository = $dir/fernet-receipts

[credential]
key_repository = $dir/credential-keys
EOF
}

wait_ready() {
  wait_http "$1" "$2" "${IMGCONF_KEYSTONE_START_TIMEOUT:-60}" "$1/gunicorn.log" "$1/keystone.log"
}

# Projects, users, roles, the glance service user, the image service and an application
# credential, through Keystone's own REST API as the bootstrap admin.
provision() {
  local dir=$1 auth_url=$2 image_url=$3
  "$VENV/bin/python" - "$dir" "$auth_url" "$image_url" <<'PYEOF'
import json, os, secrets, sys, urllib.request, urllib.error

dir_, auth_url, image_url = sys.argv[1:]
pw = {n: secrets.token_urlsafe(18) for n in ("owner", "other", "third", "admin", "glance")}
admin_pw = open(os.path.join(dir_, "admin-password")).read().strip()

def call(method, path, body=None, token=None, want=(200, 201, 204)):
    req = urllib.request.Request(auth_url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return r.status, r.headers, (json.loads(data) if data else None)
    except urllib.error.HTTPError as e:
        if e.code in want:
            return e.code, e.headers, None
        sys.exit(f"keystone.sh: {method} {path}: {e.code} {e.read()[:300]!r}")

def token(user, password, project):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    _, h, b = call("POST", "/auth/tokens", body)
    return h["X-Subject-Token"], b["token"]

adm, _ = token("admin", admin_pw, "admin")
roles = {r["name"]: r["id"] for r in call("GET", "/roles", token=adm)[2]["roles"]}
for name in ("member", "reader", "service"):
    if name not in roles:
        roles[name] = call("POST", "/roles", {"role": {"name": name}}, adm)[2]["role"]["id"]

def project(name):
    got = call("GET", f"/projects?name={name}", token=adm)[2]["projects"]
    if got:
        return got[0]["id"]
    return call("POST", "/projects", {"project": {"name": name, "domain_id": "default"}}, adm)[2]["project"]["id"]

def user(name, password, project_id, role_names):
    u = call("POST", "/users", {"user": {"name": name, "domain_id": "default",
              "password": password, "default_project_id": project_id}}, adm)[2]["user"]
    for r in role_names:
        call("PUT", f"/projects/{project_id}/users/{u['id']}/roles/{roles[r]}", token=adm)
    return u["id"]

service_project = project("service")
user("glance", pw["glance"], service_project, ["admin", "service"])
ids = {}
for p in ("owner", "other", "third", "admin"):
    pid = project(f"imgconf-{p}")
    ids[p] = user(f"imgconf-{p}", pw[p], pid, ["admin", "member", "reader"] if p == "admin" else ["member", "reader"])

svc = call("POST", "/services", {"service": {"type": "image", "name": "glance", "enabled": True}}, adm)[2]["service"]
for iface in ("public", "internal", "admin"):
    call("POST", "/endpoints", {"endpoint": {"service_id": svc["id"], "interface": iface,
         "url": image_url, "region_id": "RegionOne", "enabled": True}}, adm)

# The application credential belongs to the owner user and carries the owner project.
own, _ = token("imgconf-owner", pw["owner"], "imgconf-owner")
ac = call("POST", f"/users/{ids['owner']}/application_credentials",
          {"application_credential": {"name": "imgconf-certification"}}, own)[2]["application_credential"]

def cloud(user, project):
    return {"auth": {"auth_url": auth_url, "username": user, "project_name": project,
                     "user_domain_name": "Default", "project_domain_name": "Default"},
            "region_name": "RegionOne", "interface": "public", "identity_api_version": 3}

clouds = {f"imgconf-{p}": cloud(f"imgconf-{p}", f"imgconf-{p}") for p in ("owner", "other", "third", "admin")}
clouds["keystone-admin"] = cloud("admin", "admin")
clouds["imgconf-appcred"] = {"auth_type": "v3applicationcredential",
                             "auth": {"auth_url": auth_url, "application_credential_id": ac["id"]},
                             "region_name": "RegionOne", "interface": "public"}
secure = {f"imgconf-{p}": {"auth": {"password": pw[p]}} for p in ("owner", "other", "third", "admin")}
secure["keystone-admin"] = {"auth": {"password": admin_pw}}
secure["imgconf-appcred"] = {"auth": {"application_credential_secret": ac["secret"]}}

def write(name, text, mode):
    path = os.path.join(dir_, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
# JSON is YAML.
write("clouds.yaml", json.dumps({"clouds": clouds}, indent=2), 0o644)
write("secure.yaml", json.dumps({"clouds": secure}, indent=2), 0o600)
write("glance-service-password", pw["glance"], 0o600)
PYEOF
}

cmd_start() {
  local dir="" port="" image_url="" url
  while (($#)); do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --image-url) image_url=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -n $dir ]] || die "start needs --dir DIR"
  [[ -n $image_url ]] || die "start needs --image-url URL (the Glance it will list in its catalog)"
  [[ -x $VENV/bin/gunicorn ]] || die "no Keystone venv at $VENV: run '$0 install' first"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -f $dir/gunicorn.pid ]] && kill -0 "$(cat "$dir/gunicorn.pid")" 2>/dev/null; then
    die "Keystone already running for $dir (stop it first)"
  fi
  trap 'cmd_stop --dir "$dir"' EXIT
  write_config "$dir"
  port=${port:-$(free_port)}
  url="http://127.0.0.1:$port/v3"
  local km=("$VENV/bin/keystone-manage" --config-file "$dir/keystone.conf")
  say "db_sync, fernet keys, bootstrap"
  {
    "${km[@]}" db_sync
    "${km[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
    "${km[@]}" receipt_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
    "${km[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
  } >"$dir/manage.log" 2>&1 || { tail -n 30 "$dir/manage.log" >&2; die "keystone-manage failed"; }
  (umask 077; secret >"$dir/admin-password")
  OS_BOOTSTRAP_PASSWORD=$(cat "$dir/admin-password") "${km[@]}" bootstrap \
    --bootstrap-admin-url "$url" --bootstrap-public-url "$url" --bootstrap-internal-url "$url" \
    --bootstrap-region-id RegionOne >>"$dir/manage.log" 2>&1 ||
    { tail -n 30 "$dir/manage.log" >&2; die "keystone-manage bootstrap failed"; }

  # keystone parses sys.argv with oslo.config when it configures itself, and would choke on
  # gunicorn's own arguments: a two-line shim hides them.
  printf '%s\n' 'import sys' 'sys.argv = sys.argv[:1]' \
    'from keystone.wsgi.api import application  # noqa: E402,F401' >"$dir/keystone_wsgi.py"
  say "starting gunicorn on $url"
  # As glance.sh: own process group for `stop`, no shared control socket. One worker: on sqlite,
  # writes from two workers at once (--dynamic-personas makes users in parallel) end in
  # "database is locked" (500).
  OS_KEYSTONE_CONFIG_FILES=$dir/keystone.conf setsid "$VENV/bin/gunicorn" --chdir "$dir" \
    --bind "127.0.0.1:$port" --workers 1 --timeout 120 --no-control-socket \
    --access-logfile "$dir/access.log" keystone_wsgi:application \
    </dev/null >>"$dir/gunicorn.log" 2>&1 &
  echo $! >"$dir/gunicorn.pid"
  wait_ready "$dir" "$url" || die "start failed"
  say "creating projects, users, roles, the image service and an application credential"
  provision "$dir" "$url" "$image_url"
  trap - EXIT
  echo "$url" >"$dir/auth_url"
  echo "$url"
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
  stop_gunicorn "$dir"
}

case ${1:-} in
  install) shift; cmd_install "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) die "usage: $0 install | start --dir DIR --image-url URL [--port N] | stop --dir DIR" ;;
esac
