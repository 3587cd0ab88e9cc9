#!/usr/bin/env bash
# Benchmarks quoted in the issue notes (not timed tests): start-up, suite wall and CPU time
# against the built-in reference server, requests per second beside a plain reqwest loop, a
# 1 GiB upload + download through the streaming steps beside curl, and against a real Glance 33
# (sqlite, one case at a time) with the harness's own CPU share. Goals: start-up < 50 ms, the
# 1 GiB round trip with harness peak RSS < 64 MiB and throughput >= 90% of curl's.
#   scripts/bench.sh            # reference server only
#   scripts/bench.sh --glance   # also a real Glance (installs it on first use)
# The machine's load is printed with each section: numbers from a busy machine mean little.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -q
cargo build --release -q --bench replay
REPLAY=$(ls -t target/release/deps/replay-* | grep -v '\.d$' | head -1)
BIN=target/release/imgconf
OUT=$(mktemp -d)
SERVER=
trap '[[ -z $SERVER ]] || kill "$SERVER" 2>/dev/null || true; rm -rf "$OUT"' EXIT

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Median of 20 start-ups that load and check every case file and list them.
starts=()
for _ in $(seq 20); do
  t0=$(ms); "$BIN" run --list >/dev/null; starts+=($(( $(ms) - t0 )))
done
median=$(printf '%s\n' "${starts[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
cases=$("$BIN" run --list | grep -c ': test$')
echo "load: $(uptime | sed 's/.*load average/load average/')"
echo "startup: imgconf run --list over $cases cases, median of 20: ${median} ms (goal < 50 ms)"

# /usr/bin/time's format: wall seconds, user and system CPU seconds, peak RSS in KiB.
timed() { /usr/bin/time -f '%e %U %S %M' -o "$OUT/time" "$@" >/dev/null 2>&1 || true; cat "$OUT/time"; }

for threads in 1 2 8; do
  read -r wall user sys rss < <(timed "$BIN" run --test-threads "$threads" --report-dir "$OUT/ref" --junit "$OUT/ref.xml")
  echo "reference server, --test-threads $threads: wall ${wall} s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}') s (harness and server in one process), peak RSS $((rss / 1024)) MiB"
done

# `imgconf serve` on a free loopback port, for sections that need the server in its own process.
serve() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BIN" serve --listen "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
  SERVER=$!
  EP=http://127.0.0.1:$port
  until curl -s -o /dev/null "$EP/"; do sleep 0.1; done
}
stop() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=; }

# Requests per second: the whole suite against `imgconf serve`, then the same recorded requests
# sent by a plain reqwest loop (benches/replay.rs) with as many in flight, on a fresh server.
echo "load: $(uptime | sed 's/.*load average/load average/')"
for threads in 1 2 8; do
  serve
  t0=$(ms)
  "$BIN" run --endpoint "$EP" --auth trusted-headers --profile strict --test-threads "$threads" -q \
    --report-dir "$OUT/rps$threads" --junit "$OUT/rps$threads.xml" >/dev/null 2>&1 || true
  wall=$(( $(ms) - t0 ))
  stop
  read -r n run_ms < <(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(sum(len(s["exchanges"]) for c in r["cases"] for s in c["steps"]), r["run"]["duration_ms"])' "$OUT/rps$threads/results.json")
  serve
  base=$("$REPLAY" "$OUT/rps$threads/results.json" "$threads")
  stop
  harness_rps=$(( n * 1000 / wall ))
  base_rps=$(echo "$base" | sed 's/.*requests\/s //')
  cases_rps=$(( n * 1000 / (run_ms > 0 ? run_ms : 1) ))
  echo "requests/s, --test-threads $threads: harness $harness_rps over the process's $wall ms (start-up, discovery and reports included), $cases_rps over the $run_ms ms of cases (checks and clean-up included), $n recorded requests; plain reqwest loop: $base; ratio $(awk -v a="$cases_rps" -v b="$base_rps" 'BEGIN{printf "%.2f", a/b}') (cases) / $(awk -v a="$harness_rps" -v b="$base_rps" 'BEGIN{printf "%.2f", a/b}') (process)"
done

# 1 GiB upload + download through the streaming steps (benches/cases/image-data-1gib.yaml:
# generated while sent, MD5 and SHA-512 as the bytes go out and come back), against curl moving
# the same amount to and from the same server.
GIB=1073741824
echo "load: $(uptime | sed 's/.*load average/load average/')"
serve --max-image-bytes "$GIB"
/usr/bin/time -f '%e %U %S %M' -o "$OUT/time" "$BIN" run --endpoint "$EP" --cases benches/cases \
  --profile strict --timeout 900 -q --report-dir "$OUT/gib" --junit "$OUT/gib.xml" >/dev/null 2>&1 || echo "1 GiB case FAILED"
read -r wall user sys rss <"$OUT/time"
read -r up down < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
ms = [e["response"]["elapsed_ms"] for c in r["cases"] for s in c["steps"] for e in s["exchanges"] if e["request"]["url"].endswith("/file")]
print(*ms)' "$OUT/gib/results.json")
echo "1 GiB harness: upload ${up} ms ($((GIB / 1048576 * 1000 / up)) MiB/s), download+md5+sha512 ${down} ms ($((GIB / 1048576 * 1000 / down)) MiB/s), run wall ${wall} s, harness peak RSS $((rss / 1024)) MiB (goal < 64 MiB)"
head -c "$GIB" /dev/urandom >"$OUT/gib.bin"
id=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"name":"bench-curl","disk_format":"raw","container_format":"bare"}' "$EP/v2/images" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
cup=$(curl -s -o /dev/null -w '%{time_total}' -X PUT -H 'Content-Type: application/octet-stream' -T "$OUT/gib.bin" "$EP/v2/images/$id/file")
cdown=$(curl -s -o /dev/null -w '%{time_total}' "$EP/v2/images/$id/file")
t0=$(ms)
curl -s "$EP/v2/images/$id/file" | tee >(md5sum >/dev/null) | sha512sum >/dev/null
chash=$(( $(ms) - t0 ))
rm -f "$OUT/gib.bin"
stop
awk -v cu="$cup" -v cd="$cdown" -v ch="$chash" -v hu="$up" -v hd="$down" 'BEGIN {
  printf "1 GiB curl: upload %.0f ms, download %.0f ms, download | md5sum + sha512sum %d ms\n", cu * 1000, cd * 1000, ch
  printf "1 GiB harness/curl throughput: upload %.0f%%, download %.0f%% of curl alone, %.0f%% of curl with the same two hashes (goal >= 90%%)\n", 100 * cu * 1000 / hu, 100 * cd * 1000 / hd, 100 * ch / hd
}'

if [[ ${1:-} == --glance ]]; then
  scripts/glance.sh install
  dir=$OUT/glance
  ep=$(scripts/glance.sh start --dir "$dir")
  trap 'scripts/glance.sh stop --dir "$dir" >/dev/null 2>&1; rm -rf "$OUT"' EXIT
  read -r wall user sys rss < <(timed "$BIN" run --endpoint "$ep" --test-threads 1 --profile glance-sqlite --report-dir "$OUT/g" --junit "$OUT/g.xml")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')
  echo "glance 33 (sqlite, noauth), --test-threads 1: wall ${wall} s, harness CPU ${cpu} s ($(awk -v c="$cpu" -v w="$wall" 'BEGIN{printf "%.1f", 100*c/w}')% of wall), peak RSS $((rss / 1024)) MiB"
fi
