#!/usr/bin/env bash
# Runs the suite on the built-in reference server clean and under every fault, and writes per run
# one sorted line per verdict, reason and finding (`case step response rule check message`), ids,
# ports and times normalised. Two sweeps of two builds compare a change's behaviour finding by
# finding: `diff -r OLD NEW` lists only what depends on timing (concurrent cases, caches).
#
#   scripts/fault-sweep.sh BINARY OUTDIR        (FAULTS="a b" to sweep only those)
set -euo pipefail
bin=$(realpath "$1")
out=$2
mkdir -p "$out"
cd "$(dirname "$0")/.."
faults=${FAULTS:-$("$bin" faults 2>/dev/null | awk 'NF > 1 && $1 ~ /^[a-z][a-z0-9-]+$/ {print $1}')}
for f in clean $faults; do
    args=(run --format terse --report-dir "$out/r-$f")
    [ "$f" != clean ] && args+=(--fault "$f" --test-threads 16)
    # A fault makes cases fail: the exit status is the findings' business, not the sweep's.
    env -u IMGCONF_ENDPOINT -u OS_AUTH_URL -u OS_CLOUD "$bin" "${args[@]}" > "$out/$f.log" 2>&1 || true
    python3 - "$out/r-$f/results.json" > "$out/$f.findings" <<'PY'
import json, re, sys

def norm(s):
    s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", s)
    s = re.sub(r"imgconf-[0-9a-f]{8}", "imgconf-RUN", s)
    s = re.sub(r"127\.0\.0\.1:[0-9]+", "HOST", s)
    s = re.sub(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+Z?", "TIME", s)
    return re.sub(r"response [0-9]+ of", "response N of", s)

run = json.load(open(sys.argv[1]))
rows = []
for c in run["cases"]:
    rows.append(f"{c['id']} VERDICT {c['verdict']}")
    if c["verdict"] != "pass":
        rows.append(f"{c['id']} REASON {c.get('reason', '')}")
    for s in c["steps"]:
        for f in s["findings"]:
            rows.append(f"{c['id']} step{s['number']} {f.get('response')} {f['rule']} {f.get('check')} {f['message']}")
print("\n".join(sorted(norm(r) for r in rows)))
PY
    rm -rf "$out/r-$f"
done
echo "$(ls "$out"/*.findings | wc -l) runs written to $out"
