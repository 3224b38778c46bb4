#!/usr/bin/env bash
# Test broker for the Kafka integration tests (tests/kafka.rs).
#
#   .ci/kafka-broker.sh install   # cargo install tansu 0.6 (in-memory storage) unless present
#   .ci/kafka-broker.sh start PORT   # run a broker on 127.0.0.1:PORT in the foreground
#
# The tests start their own broker on a free port; they only need `tansu` on
# PATH (or TANSU_BIN). CI sets LOGSCRUB_REQUIRE_KAFKA=1 so that a missing
# broker fails the Kafka tests instead of skipping them.
set -euo pipefail

TANSU_VERSION="${TANSU_VERSION:-0.6.0}"

install() {
    if command -v tansu >/dev/null 2>&1 && tansu --version 2>/dev/null | grep -q "${TANSU_VERSION}"; then
        echo "tansu ${TANSU_VERSION} already installed: $(command -v tansu)"
        return 0
    fi
    # About 11 minutes on 2 cores. dynostore = the memory:// storage engine.
    nice -n 10 cargo install tansu --version "=${TANSU_VERSION}" --locked --features dynostore
}

start() {
    local port="${1:?usage: $0 start PORT}"
    exec tansu broker \
        --listener-url "tcp://127.0.0.1:${port}" \
        --advertised-listener-url "tcp://127.0.0.1:${port}" \
        --storage-engine memory://tansu/
}

case "${1:-}" in
    install) install ;;
    start) shift; start "$@" ;;
    *) echo "usage: $0 install | start PORT" >&2; exit 2 ;;
esac
