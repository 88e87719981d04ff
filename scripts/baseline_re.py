#!/usr/bin/env python3
"""A plain baseline for the benchmark: the rules exported by `rehearse rules --json`,
applied line by line with Python's `re` (lower-casing each line, honouring exceptions),
printing one JSON object per line like `rehearse classify --json`.

Usage: rehearse rules --json > rules.json; baseline_re.py rules.json < lines.txt > out.jsonl
"""
import json
import re
import sys


def main():
    rules = json.load(open(sys.argv[1]))
    compiled = []
    skipped = 0
    for r in rules:
        if r.get("when") not in (None, "always"):
            continue
        try:
            pats = [re.compile(p) for p in r["expanded_patterns"]]
            excs = [re.compile(e) for e in r["expanded_exceptions"]]
        except re.error:
            skipped += 1
            continue
        compiled.append((r["id"], r["move"], pats, excs))
    out = sys.stdout
    for n, line in enumerate(sys.stdin, 1):
        text = line.rstrip("\n")
        low = text.lower()
        moves = []
        for rid, mv, pats, excs in compiled:
            vetoes = [(m.start(), m.end()) for e in excs for m in e.finditer(low)]
            for p in pats:
                hit = None
                for m in p.finditer(low):
                    s, e = m.start(), m.end()
                    if not any(vs < max(e, s + 1) and s < ve for vs, ve in vetoes):
                        hit = (s, e)
                        break
                if hit:
                    moves.append({"move": mv, "rule": rid, "start": hit[0], "end": hit[1]})
                    break
        out.write(json.dumps({"line": n, "text": text, "moves": moves}) + "\n")
    if skipped:
        print(f"baseline: {skipped} rules use syntax Python's re lacks and were skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
