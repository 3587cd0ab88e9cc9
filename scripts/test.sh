#!/usr/bin/env bash
# The "run the tests" command: builds and unit-tests imgconf, then certifies a real
# Glance 33.0.0 on loopback with it. Does all set-up itself on a fresh machine and
# exits non-zero if anything failed. JUnit reports land in reports/NAME/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

locked=()
[[ -f Cargo.lock ]] && locked=(--locked)

# The report test renders report.html in a real browser (Debian's chromium); fail, don't skip.
if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
export IMGCONF_REQUIRE_BROWSER=1
# Every junit.xml is validated against the JUnit schema with xmllint; fail, don't skip.
if ! command -v xmllint >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils >/dev/null
fi
export IMGCONF_REQUIRE_XSD=1

# The Glance and Keystone venvs are installed while cargo compiles (pip spends much of its time
# downloading and unpacking, rustc much of its time in single-threaded phases); their output is
# shown once they are done.
mkdir -p reports
scripts/glance.sh install >reports/glance-install.log 2>&1 &
glance_install=$!
scripts/keystone.sh install >reports/keystone-install.log 2>&1 &
keystone_install=$!
scripts/clients.sh install >reports/clients-install.log 2>&1 &
clients_install=$!
# Glance 2025.1 (glance 30.x) beside 33, with that release's upper constraints.
G2025_VENV=${IMGCONF_GLANCE_2025_1_VENV:-$PWD/.venv-glance-2025.1}
IMGCONF_GLANCE_SERIES=2025.1 IMGCONF_GLANCE_VENV=$G2025_VENV scripts/glance.sh install \
  >reports/glance-2025.1-install.log 2>&1 &
glance2025_install=$!
# No separate `cargo build`: the tests need the binary, so this builds target/release/imgconf
# too, and a build without the dev-dependencies would compile rustls, reqwest and imgconf twice
# (the dev-dependencies change their features).
if ! cargo test --release "${locked[@]}"; then
  kill "$glance_install" "$keystone_install" "$clients_install" "$glance2025_install" 2>/dev/null || true
  exit 1
fi
for job in "glance:$glance_install" "keystone:$keystone_install" "clients:$clients_install" \
           "glance-2025.1:$glance2025_install"; do
  rc=0
  wait "${job#*:}" || rc=$?
  cat "reports/${job%%:*}-install.log" >&2
  ((rc == 0)) || { echo "scripts/${job%%:*}.sh install failed (exit $rc)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgconf-glance.XXXXXX")
chmod 711 "$WORK"   # a --db postgres run's server (user postgres) must traverse it
STARTED=()
KEYSTONES=()
SERVERS=()   # pids of reference servers (imgconf serve) started here
FAILED=()
# Always stop every Glance and Keystone we started, also on failure or Ctrl-C.
cleanup() {
  local d
  for d in "${STARTED[@]}"; do scripts/glance.sh stop --dir "$d" || true; done
  for d in "${KEYSTONES[@]}"; do scripts/keystone.sh stop --dir "$d" || true; done
  for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# certify NAME MODE DB THREADS AUTH [ARGS…]: run imgconf against a fresh Glance started for it
# alone; ARGS go to `imgconf run`. STORES=N (default 1) gives that Glance N file stores.
certify() {
  local name=$1 mode=$2 db=$3 threads=$4 auth=$5 dir=$WORK/$1 ep t0 rc=0
  shift 5
  STARTED+=("$dir")
  if ! ep=$(scripts/glance.sh start --dir "$dir" --mode "$mode" --db "$db" --stores "${STORES:-1}"); then
    FAILED+=("$name (Glance did not start)")
    return
  fi
  mkdir -p "reports/$name"
  t0=$(date +%s.%N)
  target/release/imgconf run --endpoint "$ep" --test-threads "$threads" --auth "$auth" \
    --report-dir "reports/$name" --junit "reports/$name/junit.xml" --strict-deviations "$@" || rc=$?
  awk -v n="$name" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "timing: %s %.1f s\n", n, b - a }'
  scripts/glance.sh stop --dir "$dir"
  cp "$dir/glance.log" "$dir/access.log" "reports/$name/" 2>/dev/null || true   # for diagnosis
  ((rc == 0)) || FAILED+=("$name (imgconf exit $rc)")
}

# sqlite answers concurrent writes with "database is locked": one case at a time there, and the
# glance-sqlite profile for the races left between a case and Glance's own import task.
certify glance-noauth noauth sqlite 1 none --profile glance-sqlite
certify glance-trusted trusted sqlite 1 trusted-headers --profile glance-sqlite
# PostgreSQL and several workers, as production runs it: cases in parallel, and the races that a
# one-request-at-a-time sqlite Glance cannot show (profile glance-multiworker). Two stores: the
# multi-store cases (copy-image, per-store delete, imports into named stores) run here, while
# the sqlite runs above certify a single-store deployment.
STORES=2 certify glance-postgres trusted postgres 4 trusted-headers --profile glance-multiworker \
  --policy legacy
# The same deployment on Glance 2025.1 (glance 30.x), an earlier release: its profile adds
# what later releases changed without an API version bump.
STORES=2 IMGCONF_GLANCE_VENV=$G2025_VENV certify glance-2025.1 trusted postgres 4 trusted-headers \
  --profile glance-2025.1 --policy legacy

# imgconf compare: the reference server (one store named `fs`, as the Glance above has, so that
# store ids are no difference) against the trusted Glance run. The declared Glance deviations
# must show as verdict changes, and no difference may be noise that normalisation should have
# masked (ids, dates, request ids). About 15 s.
compare_reference_glance() {
  local name=compare-reference-glance ref=reports/reference-fs t0 rc=0
  mkdir -p "reports/$name"
  t0=$(date +%s.%N)
  target/release/imgconf run -q --reference-stores fs --test-threads 1 --report-dir "$ref" \
    --junit "$ref/junit.xml" >/dev/null || FAILED+=("$name (reference run failed)")
  target/release/imgconf compare "$ref" reports/glance-trusted --md "reports/$name/compare.md" \
    --html "reports/$name/compare.html" --json "reports/$name/compare.json" \
    >"reports/$name/compare.txt" || rc=$?
  awk -v n="$name" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "timing: %s %.1f s\n", n, b - a }'
  if ((rc != 1)); then
    FAILED+=("$name (exit $rc, expected 1: differences)")
    return
  fi
  python3 - "reports/$name/compare.json" <<'PY' || FAILED+=("$name (see the lines above)")
import json, re, sys
cmp = json.load(open(sys.argv[1]))
cases = {c["id"]: c for c in cmp["cases"]}
problems = []
# Known differences: Glance's declared deviations, as verdict changes.
for case in ["tags::non-ascii-tag-round-trips", "tags::request-body-on-tag-put-is-ignored"]:
    c = cases.get(case)
    if not c or (c["change"], c["a"]["verdict"], c["b"]["verdict"]) != ("verdict", "pass", "deviation"):
        problems.append(f"{case}: expected pass -> deviation, got {c and (c['a'], c['b'])}")
# Noise: nothing normalisation masks may be left in a difference.
noise = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|req-<uuid>")
for c in cmp["cases"]:
    for s in c["steps"]:
        for d in s["differences"]:
            if d["path"] in ("headers.date", "headers.x-openstack-request-id", "headers.server"):
                problems.append(f"{c['id']}: {d['path']} compared")
            for v in (d.get("a"), d.get("b")):
                if noise.search(json.dumps(v)):
                    problems.append(f"{c['id']} step {s['number']} {d['path']}: unmasked {v!r:.120}")
for p in problems:
    print("compare-reference-glance:", p, file=sys.stderr)
n = cmp["counts"]
print(f"compare-reference-glance: {n['verdict_changes']} verdict changes, "
      f"{n['response_differences']} cases with other responses, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
}
compare_reference_glance

# The clients as witnesses: openstacksdk, python-openstackclient and python-glanceclient each
# drive one scripted image lifecycle against the reference server and against a fresh Glance
# (trusted headers, sqlite, one store, like the server's `--stores memory`); their normalised
# transcripts must be the same step for step, but for scripts/clients/allowed.json.
clients_lifecycle() {
  local name=clients-lifecycle dir=$WORK/glance-clients ep port ref pid t0 rc=0
  # The tooling's own tests first (recording proxy, normalisation, comparison).
  python3 -m unittest discover -q -s scripts/clients -p 'test_*.py' ||
    FAILED+=("$name (scripts/clients tests failed)")
  STARTED+=("$dir")
  if ! ep=$(scripts/glance.sh start --dir "$dir" --mode trusted --db sqlite); then
    FAILED+=("$name (Glance did not start)")
    return
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  ref=http://127.0.0.1:$port
  target/release/imgconf serve --listen "127.0.0.1:$port" --stores memory >"$WORK/$name-serve.log" 2>&1 &
  pid=$!
  SERVERS+=("$pid")
  for _ in $(seq 100); do
    python3 -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)' "$ref/versions" \
      2>/dev/null && break
    sleep 0.1
  done
  mkdir -p "reports/$name"
  t0=$(date +%s.%N)
  scripts/clients.sh compare --reference "$ref" --glance "$ep" --out "reports/$name" \
    | tee "reports/$name/compare.txt" || rc=$?
  awk -v n="$name" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "timing: %s %.1f s\n", n, b - a }'
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  scripts/glance.sh stop --dir "$dir"
  cp "$dir/glance.log" "$dir/access.log" "reports/$name/" 2>/dev/null || true
  ((rc == 0)) || FAILED+=("$name (transcripts differ, see reports/$name/compare.txt)")
}
clients_lifecycle

# Keystone: a real Keystone (keystone.sh: personas owner/other/third/admin, an application
# credential, the image service in its catalog) in front of a real Glance whose pipeline is the
# `keystone` flavor (authtoken). imgconf finds the endpoint in the catalog itself.
# run NAME [ARGS…]: one imgconf run against that pair; ARGS go to `imgconf run`.
keystone_run() {
  local name=$1 t0 rc=0
  shift
  mkdir -p "reports/$name"
  t0=$(date +%s.%N)
  OS_CLIENT_CONFIG_FILE=$KDIR/clouds.yaml OS_CLIENT_SECURE_FILE=$KDIR/secure.yaml \
    target/release/imgconf run --test-threads 1 \
    --persona other=imgconf-other --persona third=imgconf-third --persona admin=imgconf-admin \
    --report-dir "reports/$name" --junit "reports/$name/junit.xml" "$@" || rc=$?
  awk -v n="$name" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "timing: %s %.1f s\n", n, b - a }'
  ((rc == 0)) || FAILED+=("$name (imgconf exit $rc)")
}

KDIR=$WORK/keystone
GDIR=$WORK/glance-keystone
KEYSTONES+=("$KDIR")
STARTED+=("$GDIR")
gport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if auth_url=$(scripts/keystone.sh start --dir "$KDIR" --image-url "http://127.0.0.1:$gport") &&
   scripts/glance.sh start --dir "$GDIR" --mode keystone --auth-url "$auth_url" \
     --service-password-file "$KDIR/glance-service-password" --port "$gport" --db sqlite >/dev/null; then
  # A wrong password: one line, exit 2, before any case.
  rc=0
  out=$(OS_CLIENT_CONFIG_FILE=$KDIR/clouds.yaml OS_PASSWORD=wrong-password \
        target/release/imgconf run --os-cloud imgconf-owner 2>&1) || rc=$?
  if ((rc != 2)) || [[ $(printf '%s\n' "$out" | grep -c .) != 1 ]] ||
     [[ $out != *"refused the credentials"* ]]; then
    FAILED+=("glance-keystone-wrong-password (exit $rc: $out)")
  fi
  keystone_run glance-keystone-password --os-cloud imgconf-owner --profile glance-sqlite
  # The application credential run covers a third of the cases (every area, picked by
  # position) to keep CI short; the password run above covers them all.
  keystone_run glance-keystone-appcred --os-cloud imgconf-appcred --partition count:1/3 \
    --profile glance-sqlite
  cp "$GDIR/glance.log" "$GDIR/access.log" reports/glance-keystone-password/ 2>/dev/null || true
else
  FAILED+=("glance-keystone (Keystone or Glance did not start)")
fi
scripts/glance.sh stop --dir "$GDIR"
scripts/keystone.sh stop --dir "$KDIR"

# devstack-like: a Keystone and a Glance deployed as devstack deploys them (glance.sh --devstack:
# secure RBAC, the keystone+caching pipeline with an image cache, stores fs, fs2 and web (http),
# Glance's default web-download URI filter, require_image_format_match = false, PostgreSQL, 2
# workers), certified with nothing but the bootstrap admin's credentials: once plainly, once with
# --dynamic-personas. Asserts: both runs pass, the report names the personas made, the policy is
# detected as secure RBAC, and Keystone keeps no project or user of theirs afterwards.
devstack_run() {
  local name=glance-devstack kdir=$WORK/devstack-keystone gdir=$WORK/devstack-glance port url t0
  local rc=0 left
  KEYSTONES+=("$kdir")
  STARTED+=("$gdir")
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! url=$(scripts/keystone.sh start --dir "$kdir" --image-url "http://127.0.0.1:$port") ||
     ! scripts/glance.sh start --dir "$gdir" --mode keystone --devstack --db postgres \
       --auth-url "$url" --service-password-file "$kdir/glance-service-password" --port "$port" \
       >/dev/null; then
    FAILED+=("$name (Keystone or Glance did not start)")
    return
  fi
  mkdir -p "reports/$name" "reports/$name-admin-only"
  # First as an operator holding nothing but admin credentials: no personas, so the cases that
  # need them are skipped with the reason, and none may fail for the owner being an admin.
  t0=$(date +%s.%N)
  OS_CLIENT_CONFIG_FILE=$kdir/clouds.yaml OS_CLIENT_SECURE_FILE=$kdir/secure.yaml \
    OS_CLOUD=keystone-admin target/release/imgconf run \
    --without-feature format-inspection --profile glance-multiworker --test-threads 4 \
    --report-dir "reports/$name-admin-only" --junit "reports/$name-admin-only/junit.xml" || rc=$?
  awk -v n="$name-admin-only" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "timing: %s %.1f s\n", n, b - a }'
  ((rc == 0)) || FAILED+=("$name-admin-only (imgconf exit $rc)")
  rc=0
  # Then with the personas made for the run; the policy is not declared: the reader persona
  # observes it, and the report must say secure RBAC was detected.
  t0=$(date +%s.%N)
  OS_CLIENT_CONFIG_FILE=$kdir/clouds.yaml OS_CLIENT_SECURE_FILE=$kdir/secure.yaml \
    OS_CLOUD=keystone-admin target/release/imgconf run --dynamic-personas \
    --without-feature format-inspection --profile glance-multiworker --test-threads 4 \
    --report-dir "reports/$name" --junit "reports/$name/junit.xml" 2> >(tee "reports/$name/stderr.txt" >&2) || rc=$?
  awk -v n="$name" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "timing: %s %.1f s\n", n, b - a }'
  ((rc == 0)) || FAILED+=("$name (imgconf exit $rc)")
  grep -q '"identity": "keystone (personas owner, other, third, admin, service, reader; 5 made for the run by --dynamic-personas)"' \
    "reports/$name/results.json" || FAILED+=("$name (the report does not name the 5 personas made)")
  grep -q '"policy:srbac"' "reports/$name/results.json" && grep -q '^imgconf: policy: srbac (detected: ' "reports/$name/stderr.txt" ||
    FAILED+=("$name (secure RBAC was not detected)")
  # Every project and user whose name starts with imgconf- and is not one of keystone.sh's own.
  left=$(OS_AUTH_URL=$url ADMIN_PASSWORD=$(cat "$kdir/admin-password") "$IMGCONF_KEYSTONE_PY" - <<'PYEOF2'
import json, os, urllib.request
url = os.environ["OS_AUTH_URL"]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=json.dumps(body).encode() if body else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.headers, json.loads(r.read())
h, _ = call("POST", "/auth/tokens", {"auth": {"identity": {"methods": ["password"], "password": {
    "user": {"name": "admin", "domain": {"id": "default"}, "password": os.environ["ADMIN_PASSWORD"]}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
token = h["X-Subject-Token"]
fixed = {f"imgconf-{p}" for p in ("owner", "other", "third", "admin")}
for kind in ("projects", "users"):
    for item in call("GET", f"/{kind}", token=token)[1][kind]:
        if item["name"].startswith("imgconf-") and item["name"] not in fixed:
            print(kind[:-1], item["name"])
PYEOF2
  ) || left="(the check could not ask Keystone)"
  [[ -z $left ]] || FAILED+=("$name (left in Keystone: $left)")
  scripts/glance.sh stop --dir "$gdir"
  scripts/keystone.sh stop --dir "$kdir"
  cp "$gdir/glance.log" "$gdir/access.log" "reports/$name/" 2>/dev/null || true
}
IMGCONF_KEYSTONE_PY=${IMGCONF_KEYSTONE_VENV:-$PWD/.venv-keystone}/bin/python
devstack_run

if ((${#FAILED[@]})); then
  printf 'FAILED: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "all certification runs passed"
