#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30), seeded from the
# golden logs and the labelled corpus.
#
#   scripts/fuzz.sh 60
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). It wants a nightly
# toolchain; on stable, RUSTC_BOOTSTRAP=1 unlocks the -Z flags it passes.
# Crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail

secs="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"

if ! cargo fuzz --help >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
if ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi

# Seed corpus: one file per line of the golden logs and the labelled corpus.
seeds="$root/fuzz/corpus/_seeds"
if [ ! -d "$seeds" ]; then
    mkdir -p "$seeds"
    n=0
    for f in "$root"/tests/golden/*.log; do
        while IFS= read -r line || [ -n "$line" ]; do
            n=$((n + 1))
            printf '%s' "$line" >"$seeds/golden-$n"
        done <"$f"
    done
    if command -v python3 >/dev/null; then
        python3 - "$root/tests/corpus/labelled.jsonl" "$seeds" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    for i, line in enumerate(f):
        if i % 7:  # every 7th line: about 1,000 seeds
            continue
        rec = json.loads(line)
        with open(f"{out}/labelled-{i}", "w", encoding="utf-8") as o:
            o.write(rec["line"])
PY
    fi
fi

targets=(json_tokenize text_kv_pairs decode engine)
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t: ${secs}s"
    # --sanitizer none: no ASan runtime needed (the code is safe Rust);
    # libFuzzer's coverage guidance still applies.
    # FUZZ_FLAGS: extra cargo-fuzz flags, e.g. --dev for a debug build.
    # shellcheck disable=SC2086
    if ! cargo fuzz run --sanitizer none ${FUZZ_FLAGS:-} "$t" "corpus/$t" "$seeds" -- \
        -max_total_time="$secs" -max_len=65536 -timeout=10; then
        failed+=("$t")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]} (see fuzz/artifacts/)" >&2
    exit 1
fi
echo "all targets ran ${secs}s without a failure"
