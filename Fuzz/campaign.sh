#!/usr/bin/env bash
# The long runs: each fuzzer in turn (never two at once), until 10 million executions or
# SECONDS_PER_TARGET (default 540), logging to /tmp/pgwire-fuzz/TARGET.long.log, then a table in
# /tmp/pgwire-fuzz/campaign.tsv. Usage: ./campaign.sh [SECONDS_PER_TARGET] [TARGET...]
set -uo pipefail
source "$(dirname "$0")/common.sh"
seconds="${1:-540}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${FUZZERS[@]}")
work="${FUZZ_WORK:-/tmp/pgwire-fuzz}"
mkdir -p "$work"
summary="$work/campaign.tsv"
[ -e "$summary" ] || printf 'target\texecutions\tcov\tft\tseconds\texit\n' >"$summary"
for target in "${targets[@]}"; do
    log="$work/$target.long.log"
    begin=$SECONDS
    "$FUZZ_DIR/run.sh" "$target" "$seconds" 10000000 >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    done_line=$(grep -o 'DONE *cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$((SECONDS - begin))" "$status" | tee -a "$summary"
done
