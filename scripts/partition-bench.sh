#!/usr/bin/env bash
# Partitioned against unpartitioned events table: appends and a catch-up read of EVENTS events
# each, on a private PostgreSQL 15 cluster this script starts and stops. Not part of CI (10M
# events take minutes per layout). Prints `pgevents bench` for each layout (events/s, client CPU,
# the backend's CPU from /proc), a summary with the ratios, and the plans of the store's reads
# on the partitioned table.
#
# Usage: scripts/partition-bench.sh [EVENTS [PARTITION_SIZE [PGEVENTS]]]
#   EVENTS          default 10000000
#   PARTITION_SIZE  default 1000000 (positions per partition)
#   PGEVENTS        default: the release build (built if needed)
# Both layouts run in one invocation, one after the other on the same cluster (the machine's
# noise hits both); the order alternates with ROUNDS=2 or more, and FIRST=partitioned starts
# with the partitioned layout.
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-10000000}"
size="${2:-1000000}"
pgevents="${3:-}"
rounds="${ROUNDS:-1}"
if [ -z "$pgevents" ]; then
    swift build -c release --product pgevents >&2
    pgevents="$(swift build -c release --product pgevents --show-bin-path)/pgevents"
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "partition-bench: no PostgreSQL server installation under /usr/lib/postgresql" >&2; exit 1; }
folder=$(mktemp -d /tmp/pgevents-partition-bench-XXXXXX)
chmod 755 "$folder"
as_owner=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$folder"
    as_owner=(runuser -u postgres --)
fi
port=$((20000 + RANDOM % 20000))
stop() {
    "${as_owner[@]}" "$bin/pg_ctl" -D "$folder/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$folder"
}
trap stop EXIT
"${as_owner[@]}" "$bin/initdb" -D "$folder/data" -A trust -U postgres >/dev/null
# As the repository's benchmarks run their private servers: no fsync, so the disk does not
# decide; a buffer pool large enough for the indexes of 10M events.
"${as_owner[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -o \
    "-p $port -k $folder -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=1GB -c max_wal_size=8GB" \
    start >/dev/null
url="postgresql://postgres@127.0.0.1:$port/postgres"
psql=("$bin/psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres -d postgres)

echo "partition-bench $(date -u +%FT%TZ): $events events, partitions of $size positions, $(nproc) cores, $("${psql[@]}" -c 'SHOW server_version')"
results=()
run() { # run LAYOUT [bench options...]
    local layout=$1
    shift
    echo
    echo "== $layout"
    local json
    json=$("$pgevents" bench --url "$url" --schema "bench_$layout" --events "$events" --keep --json "$@" 2>/dev/null)
    echo "$json"
    results+=("$layout $json")
}
offset=0
if [ "${FIRST:-unpartitioned}" = partitioned ]; then offset=1; fi
for round in $(seq 1 "$rounds"); do
    if [ $(((round + offset) % 2)) = 1 ]; then
        run unpartitioned
        run partitioned --partition-size "$size"
    else
        run partitioned --partition-size "$size"
        run unpartitioned
    fi
done

echo
echo "== summary (server µs = the backend's CPU per event)"
printf '%-14s %12s %14s %12s %14s\n' layout append/s "append srv µs" read/s "read srv µs"
for line in "${results[@]}"; do
    layout=${line%% *}
    json=${line#* }
    python3 - "$layout" "$json" <<'EOF'
import json, sys
layout, report = sys.argv[1], json.loads(sys.argv[2])
a, r = report["append"], report["read"]
per = lambda seconds, n: f"{seconds / n * 1e6:.2f}" if seconds is not None else "-"
print(f"{layout:<14} {a['events_per_second']:12.0f} {per(a.get('server_cpu_seconds'), a['events']):>14} "
      f"{r['rows_per_second']:12.0f} {per(r.get('server_cpu_seconds'), r['rows']):>14}")
EOF
done

echo
echo "== sizes"
"${psql[@]}" -c "SELECT n.nspname, pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'bench_%_bench' AND c.relkind = 'r' GROUP BY n.nspname ORDER BY 1"

# The store's read statements on the partitioned table: pruned by position where they can be,
# index scans (a Merge Append over the partitions' indexes) where they cannot.
schema=bench_partitioned_bench
middle=$((events / 2))
explain() {
    echo
    echo "== plan: $1"
    "${psql[@]}" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $2" | sed -n '1,14p'
}
explain "read-all page (transaction order, 1000 rows from the middle)" \
    "SELECT * FROM $schema.events WHERE (transaction_id, position) > ((SELECT transaction_id FROM $schema.events WHERE position = $middle), $middle) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY transaction_id, position LIMIT 1000"
explain "stream read (one stream, forward)" \
    "SELECT * FROM $schema.events WHERE stream_name = 'order-00042' AND stream_version >= 1 ORDER BY stream_version LIMIT 1000"
explain "by position (read-all --from N)" \
    "SELECT * FROM $schema.events WHERE position > $middle ORDER BY position LIMIT 1000"
explain "retry check (stored events by id)" \
    "SELECT * FROM $schema.events WHERE event_id = (SELECT event_id FROM $schema.events WHERE position = $middle)"
