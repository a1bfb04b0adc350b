#!/usr/bin/env bash
# Runs one fuzzer: ./run.sh TARGET SECONDS [MAX_RUNS] [libFuzzer flags...]
#
# New inputs go to a scratch corpus (/tmp/pgwire-fuzz/TARGET/corpus, kept between runs); the
# committed seeds in Corpus/TARGET are read but never written. Crashes land in
# /tmp/pgwire-fuzz/TARGET/artifacts. Stops after SECONDS or MAX_RUNS executions (0: no limit).
# Build first with ./build.sh. Prints libFuzzer's output; the last lines carry
# stat::number_of_executed_units and the final "DONE cov: ..." line.
set -euo pipefail
source "$(dirname "$0")/common.sh"
target="$1"
seconds="$2"
runs="${3:-0}"
shift $(($# < 3 ? $# : 3))
work="${FUZZ_WORK:-/tmp/pgwire-fuzz}/$target"
mkdir -p "$work/corpus" "$work/artifacts"
exec "$(fuzz_binary "$target")" "$work/corpus" "$FUZZ_DIR/Corpus/$target" \
    -dict="$(fuzz_dictionary "$target")" "${FUZZ_LIMITS[@]}" \
    -max_total_time="$seconds" -runs="$( [ "$runs" = 0 ] && echo -1 || echo "$runs")" \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@"
