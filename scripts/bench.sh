#!/usr/bin/env bash
# End-to-end throughput of the release binary with the built-in rules.
# Prints MB/s for 1 and 2 threads on the loghub samples (repeated to about
# 100 MB) and on a generated mixed JSON/logfmt/text corpus, plus peak RSS.
# "wall" is end-to-end throughput; "per CPU-second" divides by the CPU time
# of all logscrub threads (reader, workers, writer), which is what a core
# delivers and stays meaningful on a busy machine.
#
# Usage: scripts/bench.sh [MEGABYTES] [BINARY]
#   MEGABYTES  corpus size (default 100)
#   BINARY     the build to measure (default: target/release/logscrub, built
#              here); e.g. target/pgo/release/logscrub from
#              scripts/build-pgo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
data=bench-data
mkdir -p "$data"
if [ -n "${2:-}" ]; then
  bin=$2
else
  cargo build --release --quiet
  bin=target/release/logscrub
fi

if [ ! -s "$data/mixed-$mb.log" ]; then
  python3 scripts/gen-mixed.py "$data/mixed-$mb.log" "$mb"
fi
if [ ! -s "$data/loghub-$mb.log" ]; then
  loghub=../shared/corpus/loghub
  : > "$data/loghub-$mb.log"
  while [ "$(stat -c %s "$data/loghub-$mb.log")" -lt $((mb * 1000000)) ]; do
    cat "$loghub"/*.log >> "$data/loghub-$mb.log"
  done
fi

measure() { # file threads
  cat "$1" > /dev/null
  # Wall time to the microsecond and CPU time and peak RSS from the
  # child's rusage (GNU time's %e rounds to 10 ms, 2% of a 100 MB run).
  python3 - "$bin" "$1" "$2" <<'PY'
import os, sys, time
binary, path, threads = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path, "rb") as src, open(os.devnull, "wb") as sink:
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(src.fileno(), 0)
        os.dup2(sink.fileno(), 1)
        os.execv(binary, [binary, "--threads", threads])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
if status != 0:
    sys.exit(f"{binary} exited with status {status}")
mb = os.path.getsize(path) / 1e6
cpu = usage.ru_utime + usage.ru_stime
print(f"{os.path.basename(path):<16} threads={threads}  {mb:7.1f} MB  wall {mb / wall:7.1f} MB/s  "
      f"per CPU-second {mb / cpu:7.1f} MB/s  peak RSS {usage.ru_maxrss / 1024:5.1f} MiB")
PY
}

echo "logscrub $("$bin" --version | cut -d' ' -f2), $("$bin" rules | wc -l) rules, $(nproc) cores"
for f in "$data/loghub-$mb.log" "$data/mixed-$mb.log"; do
  measure "$f" 1
  measure "$f" 2
done
