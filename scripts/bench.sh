#!/usr/bin/env bash
# Benchmarks quoted in the issue notes (not timed tests): start-up, suite wall and CPU time
# against the built-in reference server, and against a real Glance 33 (sqlite, one case at a
# time) with the harness's own CPU share.
#   scripts/bench.sh            # reference server only
#   scripts/bench.sh --glance   # also a real Glance (installs it on first use)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -q
BIN=target/release/imgconf
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Median of 20 start-ups that load and check every case file and list them.
starts=()
for _ in $(seq 20); do
  t0=$(ms); "$BIN" run --list >/dev/null; starts+=($(( $(ms) - t0 )))
done
median=$(printf '%s\n' "${starts[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
cases=$("$BIN" run --list | grep -c ': test$')
echo "startup: imgconf run --list over $cases cases, median of 20: ${median} ms"

# /usr/bin/time's format: wall seconds, user and system CPU seconds, peak RSS in KiB.
timed() { /usr/bin/time -f '%e %U %S %M' -o "$OUT/time" "$@" >/dev/null 2>&1 || true; cat "$OUT/time"; }

for threads in 1 2 8; do
  read -r wall user sys rss < <(timed "$BIN" run --test-threads "$threads" --report-dir "$OUT/ref" --junit "$OUT/ref.xml")
  echo "reference server, --test-threads $threads: wall ${wall} s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}') s (harness and server in one process), peak RSS $((rss / 1024)) MiB"
done

if [[ ${1:-} == --glance ]]; then
  scripts/glance.sh install
  dir=$OUT/glance
  ep=$(scripts/glance.sh start --dir "$dir")
  trap 'scripts/glance.sh stop --dir "$dir" >/dev/null 2>&1; rm -rf "$OUT"' EXIT
  read -r wall user sys rss < <(timed "$BIN" run --endpoint "$ep" --test-threads 1 --report-dir "$OUT/g" --junit "$OUT/g.xml")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')
  echo "glance 33 (sqlite, noauth), --test-threads 1: wall ${wall} s, harness CPU ${cpu} s ($(awk -v c="$cpu" -v w="$wall" 'BEGIN{printf "%.1f", 100*c/w}')% of wall), peak RSS $((rss / 1024)) MiB"
fi
