#!/usr/bin/env bash
# End-to-end Kafka benchmark: one logscrub instance, input topic -> output
# topic through a local tansu broker (in-memory storage). Prints records/s
# and MB/s. Needs tansu on PATH (.ci/kafka-broker.sh install).
#
#   scripts/kafka-bench.sh [RECORDS] [PARTITIONS] [LOGSCRUB ARGS...]
#   e.g. scripts/kafka-bench.sh 1000000 4 -X producer.linger.ms=20
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS="${1:-200000}"
PARTITIONS="${2:-4}"
shift $(( $# > 2 ? 2 : $# ))
cargo build --release --bin logscrub --example kafka_bench
exec target/release/examples/kafka_bench target/release/logscrub "$RECORDS" "$PARTITIONS" "$@"
