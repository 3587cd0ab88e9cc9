"""Compares two lifecycle transcripts (lifecycle.py) step by step, with an allow-list.

    python compare.py --allow allowed.json REFERENCE.json GLANCE.json [...pairs]

A step is `same` when its requests, statuses and client outcome are equal in both, `allowed`
when they differ and the allow-list has an entry for that client and step (each entry says why
the difference is acceptable), and `different` otherwise. Prints every difference and the
counts, and exits 1 if a step is different or an allow-list entry matched nothing (an entry
that no longer applies must be removed, so the list never hides a fix), unless the entry is
`intermittent` (a difference of timing, which some runs do not show).
"""

import argparse
import difflib
import json
import sys


def load_allow(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    entries = doc.get("allowed", [])
    for i, e in enumerate(entries):
        missing = [k for k in ("client", "step", "reason") if not e.get(k)]
        if missing:
            raise SystemExit("%s: allowed[%d]: missing %s" % (path, i, ", ".join(missing)))
    return entries


def lines(step):
    out = ["  " + h for h in step["http"]]
    out.append("  => " + json.dumps(step["result"], sort_keys=True))
    return out


def compare(ref, glance, allow, used):
    """Yields (verdict, client, step title, diff lines) for each step."""
    client = ref["client"]
    a, b = ref["steps"], glance["steps"]
    for i in range(max(len(a), len(b))):
        sa = a[i] if i < len(a) else None
        sb = b[i] if i < len(b) else None
        title = (sa or sb)["step"]
        if sa and sb and sa["step"] != sb["step"]:
            yield "different", client, title, ["steps out of line: %r vs %r" % (sa["step"], sb["step"])]
            continue
        la, lb = lines(sa) if sa else [], lines(sb) if sb else []
        if la == lb:
            yield "same", client, title, []
            continue
        diff = list(difflib.unified_diff(la, lb, "reference", "glance", n=0, lineterm=""))[2:]
        entry = next((k for k, e in enumerate(allow)
                      if e["client"] == client and e["step"] == title), None)
        if entry is not None:
            used.add(entry)
            yield "allowed", client, title, diff
        else:
            yield "different", client, title, diff


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--allow", required=True)
    p.add_argument("transcripts", nargs="+", help="REFERENCE GLANCE pairs")
    a = p.parse_args()
    if len(a.transcripts) % 2:
        p.error("transcripts come in pairs: REFERENCE GLANCE")
    allow = load_allow(a.allow)
    used = set()
    counts = {"same": 0, "allowed": 0, "different": 0}
    for ref_path, glance_path in zip(a.transcripts[::2], a.transcripts[1::2]):
        with open(ref_path, encoding="utf-8") as f:
            ref = json.load(f)
        with open(glance_path, encoding="utf-8") as f:
            glance = json.load(f)
        if ref["client"] != glance["client"]:
            raise SystemExit("%s and %s are transcripts of different clients" % (ref_path, glance_path))
        per = {"same": 0, "allowed": 0, "different": 0}
        for verdict, client, title, diff in compare(ref, glance, allow, used):
            per[verdict] += 1
            if verdict != "same":
                print("%s: %s: %s" % (verdict, client, title))
                for d in diff:
                    print("    " + d)
        print("%s: %d same, %d allowed, %d different" % (
            ref["client"], per["same"], per["allowed"], per["different"]))
        for k in counts:
            counts[k] += per[k]
    stale = [e for k, e in enumerate(allow) if k not in used and not e.get("intermittent")]
    for e in stale:
        print("allow-list entry matched nothing (remove it): %s: %s" % (e["client"], e["step"]))
    print("clients lifecycle: %d steps same, %d allowed, %d different" % (
        counts["same"], counts["allowed"], counts["different"]))
    return 1 if counts["different"] or stale else 0


if __name__ == "__main__":
    sys.exit(main())
