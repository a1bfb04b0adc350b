#!/usr/bin/env bash
# The public API of PGWire and PGEventStore against the recorded baseline (api/baseline): any
# breaking change fails, so that a change to the API is a deliberate one.
#
#   scripts/api-check.sh            compare with the baseline (CI runs this)
#   scripts/api-check.sh --record   record the current commit (committed, clean tree) as the
#                                   new baseline; commit api/ afterwards, and say in
#                                   CHANGELOG.md what broke and why
#
# The baseline is SwiftPM's API digester output for one commit, stored under
# api/baseline/<commit>/; `swift package diagnose-api-breaking-changes` reuses it instead of
# building that commit again, but still needs the commit in the clone's history.
set -euo pipefail
cd "$(dirname "$0")/.."

products=(--products PGWire PGEventStore)

if [ "${1:-}" = "--record" ]; then
    if [ -n "$(git status --porcelain -- Sources Package.swift)" ]; then
        echo "api-check: commit the sources first; the baseline is a commit" >&2
        exit 1
    fi
    commit=$(git rev-parse HEAD)
    rm -rf api/baseline
    mkdir -p api/baseline
    swift package diagnose-api-breaking-changes "$commit" "${products[@]}" --baseline-dir api/baseline --regenerate-baseline
    echo "$commit" > api/baseline/COMMIT
    echo "api-check: recorded $commit"
    exit 0
fi

commit=$(cat api/baseline/COMMIT)
if ! git cat-file -e "$commit^{commit}" 2>/dev/null; then
    # A shallow clone lacks the baseline commit; fetch the history it belongs to.
    git fetch --quiet --unshallow 2>/dev/null || git fetch --quiet origin "$commit" 2>/dev/null || true
fi
if ! git cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "api-check: the baseline commit $commit is not in this clone's history" >&2
    exit 1
fi
swift package diagnose-api-breaking-changes "$commit" "${products[@]}" --baseline-dir api/baseline
