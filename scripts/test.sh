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

cargo build --release "${locked[@]}"
cargo test --release "${locked[@]}"
scripts/glance.sh install

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgconf-glance.XXXXXX")
chmod 711 "$WORK"   # a --db postgres run's server (user postgres) must traverse it
STARTED=()
FAILED=()
# Always stop every Glance we started, also on failure or Ctrl-C.
cleanup() {
  local d
  for d in "${STARTED[@]}"; do scripts/glance.sh stop --dir "$d" || true; done
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
    --report-dir "reports/$name" --junit "reports/$name/junit.xml" "$@" || rc=$?
  awk -v n="$name" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "timing: %s %.1f s\n", n, b - a }'
  scripts/glance.sh stop --dir "$dir"
  cp "$dir/glance.log" "$dir/access.log" "reports/$name/" 2>/dev/null || true   # for diagnosis
  ((rc == 0)) || FAILED+=("$name (imgconf exit $rc)")
}

# sqlite answers concurrent writes with "database is locked": one case at a time there.
certify glance-noauth noauth sqlite 1 none
certify glance-trusted trusted sqlite 1 trusted-headers
# PostgreSQL and several workers, as production runs it: cases in parallel, and the races that a
# one-request-at-a-time sqlite Glance cannot show (profile glance-multiworker). Two stores: the
# multi-store cases (copy-image, per-store delete, imports into named stores) run here, while
# the sqlite runs above certify a single-store deployment.
STORES=2 certify glance-postgres trusted postgres 4 trusted-headers --profile glance-multiworker

if ((${#FAILED[@]})); then
  printf 'FAILED: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "all certification runs passed"
