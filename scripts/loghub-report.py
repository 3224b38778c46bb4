#!/usr/bin/env python3
"""Runs logscrub over every file of the LogHub sample corpus and reports,
per file, how many lines there are and how many the scrubber changed, with
the redactions counted by category.

Usage: scripts/loghub-report.py [--bin PATH] [--dir PATH] [--show N] [--only NAME]

--bin   logscrub binary (default: target/release/logscrub, else target/debug/logscrub)
--dir   corpus folder (default: ../shared/corpus/loghub next to the repository)
--show  print N changed lines per file (before/after) for eyeballing
--only  only files whose name contains this text
"""

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(rb"\[REDACTED:([A-Za-z0-9_-]+)\]")


def main():
    ap = argparse.ArgumentParser()
    default_bin = ROOT / "target/release/logscrub"
    if not default_bin.exists():
        default_bin = ROOT / "target/debug/logscrub"
    ap.add_argument("--bin", default=str(default_bin))
    ap.add_argument("--dir", default=str((ROOT / "../shared/corpus/loghub").resolve()))
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--only", default="")
    args = ap.parse_args()

    files = sorted(p for p in Path(args.dir).iterdir() if p.is_file() and p.suffix == ".log" and args.only in p.name)
    if not files:
        sys.exit(f"no .log files in {args.dir}")
    print(f"{'file':<22} {'lines':>6} {'changed':>8} {'changed%':>9}  categories")
    total_lines = total_changed = 0
    for f in files:
        data = f.read_bytes()
        out = subprocess.run([args.bin, "-j", "1"], input=data, stdout=subprocess.PIPE, check=True).stdout
        before = data.split(b"\n")
        after = out.split(b"\n")
        if before and before[-1] == b"":
            before.pop()
        if after and after[-1] == b"":
            after.pop()
        if len(before) != len(after):
            print(f"{f.name}: line count differs ({len(before)} in, {len(after)} out)")
        changed = [(a, b) for a, b in zip(before, after) if a != b]
        cats = collections.Counter()
        for _, b in changed:
            for m in PLACEHOLDER.finditer(b):
                cats[m.group(1).decode()] += 1
        total_lines += len(before)
        total_changed += len(changed)
        pct = 100.0 * len(changed) / max(1, len(before))
        cat_text = ", ".join(f"{k}={v}" for k, v in cats.most_common())
        print(f"{f.name:<22} {len(before):>6} {len(changed):>8} {pct:>8.1f}%  {cat_text}")
        for a, b in changed[: args.show]:
            print("    - " + a.decode("utf-8", "replace")[:220])
            print("    + " + b.decode("utf-8", "replace")[:220])
    print(f"{'TOTAL':<22} {total_lines:>6} {total_changed:>8}")


if __name__ == "__main__":
    main()
