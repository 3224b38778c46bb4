#!/usr/bin/env bash
# Builds a profile-guided (PGO) release binary: an instrumented build
# scrubs a training corpus, and the compiler lays out and inlines the code
# by what that run did. The output is byte for byte what the plain release
# build writes; only the speed differs (see README, Performance).
#
# The training corpus is not the benchmark's: a mixed corpus generated
# with another seed (20 MB) and the LogHub samples, once on one thread and
# once on two.
#
# Needs llvm-profdata of the compiler's own LLVM version: rustup's
# llvm-tools component (`rustup component add llvm-tools`, done here when
# rustup is at hand).
#
# Usage: scripts/build-pgo.sh    -> target/pgo/release/logscrub
set -euo pipefail
cd "$(dirname "$0")/.."

sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  if command -v rustup > /dev/null; then
    rustup component add llvm-tools
  fi
fi
if [ ! -x "$profdata" ]; then
  echo "build-pgo: $profdata not found; install rustup's llvm-tools component" >&2
  exit 1
fi

work=target/pgo-work
rm -rf "$work/profiles"
mkdir -p "$work/profiles"
if [ ! -s "$work/train-mixed.log" ]; then
  SEED=7 python3 scripts/gen-mixed.py "$work/train-mixed.log" 20
fi
cat ../shared/corpus/loghub/*.log > "$work/train-loghub.log" 2> /dev/null ||
  cat tests/golden/*.log > "$work/train-loghub.log"

echo "build-pgo: instrumented build" >&2
RUSTFLAGS="-Cprofile-generate=$PWD/$work/profiles" \
  cargo build --release --quiet --target-dir "$work/target"
trained=$work/target/release/logscrub
for threads in 1 2; do
  "$trained" --threads "$threads" < "$work/train-mixed.log" > /dev/null
  "$trained" --threads "$threads" < "$work/train-loghub.log" > /dev/null
done
"$profdata" merge -o "$work/merged.profdata" "$work/profiles"

echo "build-pgo: optimised build" >&2
RUSTFLAGS="-Cprofile-use=$PWD/$work/merged.profdata" \
  cargo build --release --quiet --target-dir target/pgo
echo "target/pgo/release/logscrub"
