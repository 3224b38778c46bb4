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
  # Wall time to the microsecond, CPU time and peak RSS from the child's
  # rusage (compare.py's run; GNU time's %e rounds to 10 ms, 2% of a
  # 100 MB run).
  python3 - "$bin" "$1" "$2" <<'PY'
import os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "scripts")
from compare import run
binary, path, threads = sys.argv[1:4]
wall, cpu, rss = run(binary, ["--threads", threads], path)
mb = os.path.getsize(path) / 1e6
print(f"{os.path.basename(path):<16} threads={threads}  {mb:7.1f} MB  wall {mb / wall:7.1f} MB/s  "
      f"per CPU-second {mb / cpu:7.1f} MB/s  peak RSS {rss / 1024:5.1f} MiB")
PY
}

echo "logscrub $("$bin" --version | cut -d' ' -f2), $("$bin" rules | wc -l) rules, $(nproc) cores"
for f in "$data/loghub-$mb.log" "$data/mixed-$mb.log"; do
  measure "$f" 1
  measure "$f" 2
done
