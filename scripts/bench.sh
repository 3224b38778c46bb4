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
  local bytes t
  bytes=$(stat -c %s "$1")
  cat "$1" > /dev/null
  t=$( { /usr/bin/time -f '%e %U %S %M' "$bin" --threads "$2" < "$1" > /dev/null; } 2>&1 | tail -1)
  python3 - "$bytes" $t "$(basename "$1")" "$2" <<'PY'
import sys
b, wall, user, sys_, rss = map(float, sys.argv[1:6])
name, threads = sys.argv[6], int(sys.argv[7])
mb = b / 1e6
print(f"{name:<16} threads={threads}  {mb:7.1f} MB  wall {mb / wall:7.1f} MB/s  "
      f"per CPU-second {mb / (user + sys_):7.1f} MB/s  peak RSS {rss / 1024:5.1f} MiB")
PY
}

echo "logscrub $("$bin" --version | cut -d' ' -f2), $("$bin" rules | wc -l) rules, $(nproc) cores"
for f in "$data/loghub-$mb.log" "$data/mixed-$mb.log"; do
  measure "$f" 1
  measure "$f" 2
done
