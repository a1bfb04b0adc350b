#!/usr/bin/env bash
# CI's check of the pgevents tool as users run it: the release build on its embedded server
# (a throwaway data folder the postgres user can reach, so it also works as root), one
# migrate/append/read/tail/subscriptions/status round trip with its output checked, a version conflict's exit
# status, and a short benchmark. Usage: scripts/cli-smoke.sh [PATH_TO_PGEVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
pgevents="${1:-$(swift build -c release --product pgevents --show-bin-path)/pgevents}"
folder=$(mktemp -d /tmp/pgevents-smoke-XXXXXX)
chmod 755 "$folder"
trap 'rm -rf "$folder"' EXIT
data=(--data-dir "$folder/store")

fail() { echo "cli-smoke: $*" >&2; exit 1; }
expect() { # expect NAME OUTPUT PATTERN
    grep -qE -- "$3" <<<"$2" || fail "$1 printed '$2', expected /$3/"
}

# The schema version a fresh store reaches: the highest numbered file under sql/.
latest=$(ls "$(dirname "$0")/../sql" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | tail -1)

if ldd "$pgevents" | grep -q libpq; then fail "pgevents links libpq"; fi
"$pgevents" --help >/dev/null

expect migrate "$("$pgevents" migrate "${data[@]}")" 'version '"$latest"' \(was 0\)'
expect append "$("$pgevents" append order-1 --type OrderPlaced --data '{"total": 12}' --expected no-stream "${data[@]}")" \
    '"stream":"order-1","version":1,.*"positions":\[[0-9]+\]'
set +e
"$pgevents" append order-1 --type OrderPlaced --data '{}' --expected no-stream "${data[@]}" 2>/dev/null
status=$?
set -e
[ "$status" = 3 ] || fail "a version conflict exited $status, expected 3"
expect read "$("$pgevents" read order-1 "${data[@]}")" '^\{"id":"[0-9a-f-]{36}","stream":"order-1","version":1,.*"type":"OrderPlaced","data":\{"total": 12\}'
expect status "$("$pgevents" status --json "${data[@]}")" '"schema_version":'"$latest"',.*"event_count":1,"stream_count":1,.*"subscriptions":\[\]'
expect tail "$("$pgevents" tail --from start --limit 1 "${data[@]}")" '"stream":"order-1","version":1,'
expect subscriptions "$("$pgevents" subscriptions "${data[@]}")" '^no subscriptions'
expect bench "$("$pgevents" bench --events 20000 --json "${data[@]}")" '"events":20000'
if pgrep -f "$folder" >/dev/null; then fail "a PostgreSQL server outlived pgevents"; fi
echo "cli-smoke: ok"
