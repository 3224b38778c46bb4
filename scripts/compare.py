#!/usr/bin/env python3
"""Compares logscrub builds side by side on one input: alternating runs.

Usage: scripts/compare.py FILE ROUNDS BINARY... [-- ARGS...]

Runs every BINARY once per round, in turn, with stdin from FILE and stdout
to /dev/null (default ARGS: --threads 1), and prints per binary the fastest
and the median wall time, in seconds and MB/s, and the CPU time (user +
system) of the run. Alternating runs share the machine's drift, so on a
noisy VM two builds are compared fairly even when single runs are not.

    cargo build --release && cp target/release/logscrub /tmp/new
    scripts/compare.py bench-data/mixed-100.log 10 /tmp/old /tmp/new
"""
import os
import statistics
import sys
import time


def run(binary, args, path):
    """Wall and CPU seconds and peak RSS (KiB) of one run of `binary` over
    the file at `path`; stdout goes to /dev/null."""
    with open(path, "rb") as src, open(os.devnull, "wb") as sink:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(src.fileno(), 0)
            os.dup2(sink.fileno(), 1)
            os.execv(binary, [binary, *args])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{binary} failed on {path} (exit status {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    argv = sys.argv[1:]
    args = ["--threads", "1"]
    if "--" in argv:
        cut = argv.index("--")
        argv, args = argv[:cut], argv[cut + 1:]
    if len(argv) < 3:
        sys.exit(__doc__)
    path, rounds, binaries = argv[0], int(argv[1]), argv[2:]
    megabytes = os.path.getsize(path) / 1e6
    with open(path, "rb") as f:  # into the page cache before the first run
        while f.read(1 << 20):
            pass
    times = {b: [] for b in binaries}
    for _ in range(rounds):
        for b in binaries:
            times[b].append(run(b, args, path))
    print(f"{os.path.basename(path)}: {megabytes:.1f} MB, {rounds} rounds, args {' '.join(args)}")
    for b, runs in times.items():
        wall = [w for w, _, _ in runs]
        cpu = [c for _, c, _ in runs]
        fast, median = min(wall), statistics.median(wall)
        print(f"  {b}: wall {fast:.3f} / {median:.3f} s "
              f"({megabytes / fast:.0f} / {megabytes / median:.0f} MB/s), "
              f"cpu {min(cpu):.3f} / {statistics.median(cpu):.3f} s  (fastest / median)")


if __name__ == "__main__":
    main()
