#!/usr/bin/env bash
# CI's fuzz step: builds every fuzzer, replays Regressions/ through each, then runs each for a
# short time (default 8 s; ./smoke.sh SECONDS) from its seed corpus. Fails on any crash, broken
# invariant, leak, timeout or allocation over the limits. About 3.5 minutes on 2 cores with a
# cold build. The corpus grown here is thrown away.
set -euo pipefail
shopt -s nullglob
source "$(dirname "$0")/common.sh"
seconds="${1:-8}"
scratch="$(mktemp -d /tmp/pgwire-fuzz-smoke.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

start=$SECONDS
echo "fuzz: building ${#FUZZERS[@]} fuzzers"
fuzz_build | tail -n 1
echo "fuzz: built in $((SECONDS - start)) s"

failed=()
for target in "${FUZZERS[@]}"; do
    binary="$(fuzz_binary "$target")"
    mkdir -p "$scratch/$target/corpus"
    log="$scratch/$target.log"
    regressions=("$FUZZ_DIR/Regressions/$target"/*)
    if [ "${#regressions[@]}" -gt 0 ]; then
        if ! "$binary" "${FUZZ_LIMITS[@]}" "${regressions[@]}" >"$log" 2>&1; then
            echo "fuzz: $target FAILED on a regression input"; tail -n 40 "$log"; failed+=("$target"); continue
        fi
    fi
    if ! "$binary" "$scratch/$target/corpus" "$FUZZ_DIR/Corpus/$target" -dict="$(fuzz_dictionary "$target")" \
        "${FUZZ_LIMITS[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$scratch/$target-" >"$log" 2>&1; then
        echo "fuzz: $target FAILED"; tail -n 60 "$log"
        for artifact in "$scratch/$target"-*; do
            echo "input ($artifact):"; od -A d -t x1 "$artifact" | head -n 20
        done
        failed+=("$target"); continue
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'DONE *cov: [0-9]* ft: [0-9]*' "$log" | sed 's/DONE *//' || true)
    echo "fuzz: $target ok, ${#regressions[@]} regression inputs, $runs runs, $cov"
done

echo "fuzz: finished in $((SECONDS - start)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
