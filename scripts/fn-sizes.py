#!/usr/bin/env python3
"""Lines of every Rust function body (from its `fn` line to the closing brace), longest first.

Usage: scripts/fn-sizes.py [-n TOP] [--only NAME ...] [FILES or folders; default src]

Strings, raw strings, char literals and comments are skipped when matching braces, so braces
in them do not count. `#[cfg(test)]` code is measured too (it is named by its file).
"""
import argparse
import os
import re
import sys

FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def code_mask(text):
    """The text with every string, char literal and comment blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            j = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            # A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only literals are blanked.
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    text = open(path, encoding="utf-8").read()
    code = code_mask(text)
    line_of = [0] * (len(code) + 1)
    line = 1
    for k, ch in enumerate(code):
        line_of[k] = line
        if ch == "\n":
            line += 1
    for m in FN.finditer(code):
        # The body opens at the first `{` after the signature, unless a `;` ends it first
        # (a trait method without a body).
        k = m.end()
        depth_paren = 0
        while k < len(code):
            ch = code[k]
            if ch in "([":
                depth_paren += 1
            elif ch in ")]":
                depth_paren -= 1
            elif ch == ";" and depth_paren == 0:
                k = -1
                break
            elif ch == "{" and depth_paren == 0:
                break
            k += 1
        if k < 0 or k >= len(code):
            continue
        depth = 0
        for e in range(k, len(code)):
            if code[e] == "{":
                depth += 1
            elif code[e] == "}":
                depth -= 1
                if depth == 0:
                    start, end = line_of[m.start()], line_of[e]
                    yield m.group(1), start, end - start + 1
                    break


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, default=10)
    p.add_argument("--only", nargs="*", default=[], help="file:name pairs or names to show")
    p.add_argument("paths", nargs="*", default=["src"])
    a = p.parse_args()
    files = []
    for root in a.paths:
        if os.path.isfile(root):
            files.append(root)
        for d, _, names in os.walk(root):
            files += [os.path.join(d, f) for f in sorted(names) if f.endswith(".rs")]
    rows = [(size, f"{path}:{line}", name) for path in files for name, line, size in functions(path)]
    rows.sort(key=lambda r: (-r[0], r[1]))
    if a.only:
        rows = [r for r in rows if r[2] in a.only or f"{r[1].split(':')[0]}:{r[2]}" in a.only]
    else:
        rows = rows[: a.n]
    for size, at, name in rows:
        print(f"{size:5}  {name:28} {at}")


if __name__ == "__main__":
    sys.exit(main())
