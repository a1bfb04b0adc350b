#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PGWire

extension EventStore {
    /// Every named subscription with its shares' checkpoints, lag and runners, by name.
    public func subscriptions() async throws -> [SubscriptionInfo] {
        let checkpoints = schema.table("subscription_checkpoints")
        let events = schema.table("events")
        let share = SubscriptionStatements.shareExpression(stream: "e.stream_name", count: "c.partition_count")
        return try await withConnection { connection in
            let rows = try await connection.query("""
                SELECT c.subscription, c.partition_index, c.partition_count, c.transaction_id, c.position, c.updated_at,
                       c.events_handled, c.categories, c.streams, c.event_types, l.behind,
                       coalesce(extract(epoch FROM now() - l.oldest)::float8, 0)
                FROM \(unescaped: checkpoints) AS c
                LEFT JOIN LATERAL (
                    SELECT count(*) AS behind, min(e.created_at) AS oldest FROM \(unescaped: events) AS e
                    WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position)
                      AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                      AND (cardinality(c.categories) = 0 OR split_part(e.stream_name, '-', 1) = ANY(c.categories))
                      AND (cardinality(c.streams) = 0 OR e.stream_name = ANY(c.streams))
                      AND (cardinality(c.event_types) = 0 OR e.event_type = ANY(c.event_types))
                      AND (c.partition_count = 1 OR \(unescaped: share) = c.partition_index)
                ) AS l ON true
                ORDER BY c.subscription, c.partition_index
                """).collect()
            var result: [SubscriptionInfo] = []
            for row in rows {
                let name = try row.decode(String.self, at: 0)
                let shareRow = SubscriptionInfo.Share(
                    index: Int(try row.decode(Int32.self, at: 1)),
                    checkpoint: GlobalPosition(
                        transactionID: try row.decode(PGTransactionID.self, at: 3).rawValue, position: try row.decode(Int64.self, at: 4)),
                    updatedAt: try row.decode(Date.self, at: 5), eventsHandled: try row.decode(Int64.self, at: 6),
                    lagEvents: try row.decode(Int64.self, at: 10), lagSeconds: max(0, try row.decode(Double.self, at: 11)))
                if result.last?.name != name {
                    result.append(SubscriptionInfo(
                        name: name, partitions: Int(try row.decode(Int32.self, at: 2)),
                        filter: SubscriptionFilter(
                            categories: try row.decode([String].self, at: 7), streams: try row.decode([String].self, at: 8),
                            types: try row.decode([String].self, at: 9)),
                        shares: []))
                }
                result[result.count - 1].shares.append(shareRow)
            }
            try await addRunners(to: &result, on: connection)
            return result
        }
    }

    /// Fills in which backend holds each share's lock.
    private func addRunners(to subscriptions: inout [SubscriptionInfo], on connection: PGConnection) async throws {
        guard !subscriptions.isEmpty else { return }
        let classes = subscriptions.map { SubscriptionLocks.oid(SubscriptionLocks(schema: schema, subscription: $0.name).shareClass) }
        let rows = try await connection.query(PGQuery("""
            SELECT l.classid::int8, l.objid::int8, l.pid, a.application_name, a.client_addr::text
            FROM pg_locks AS l LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::int8 = ANY($1::int8[])
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [classes])).collect()
        for row in rows {
            let lockClass = try row.decode(Int64.self, at: 0)
            let share = Int(try row.decode(Int64.self, at: 1))
            for index in subscriptions.indices where classes[index] == lockClass {
                for shareIndex in subscriptions[index].shares.indices where subscriptions[index].shares[shareIndex].index == share {
                    subscriptions[index].shares[shareIndex].runnerPID = try row.decode(Int32?.self, at: 2)
                    subscriptions[index].shares[shareIndex].runnerApplication = try row.decode(String?.self, at: 3)
                    subscriptions[index].shares[shareIndex].runnerAddress = try row.decode(String?.self, at: 4)
                }
            }
        }
    }

    /// Moves a subscription's checkpoint (every share's) so that it handles again from `start`
    /// (`.start` replays the whole log into a projection; clear the projection first). Running
    /// runners are notified and continue from there at once.
    /// - Throws: ``EventStoreError/Code/notFound`` when no subscription has that name.
    public func resetSubscription(_ name: String, to start: SubscriptionStart) async throws {
        let checkpoints = schema.table("subscription_checkpoints")
        try await withConnection { connection in
            let resolved = try await start.place(in: schema, on: connection)
            let atEnd = resolved == nil
            let place = resolved ?? .start
            let rows = try await connection.query(PGQuery("""
                UPDATE \(checkpoints) SET
                    transaction_id = CASE WHEN $2 THEN pg_snapshot_xmin(pg_current_snapshot()) ELSE $3::int8::text::xid8 END,
                    position = CASE WHEN $2 THEN 0 ELSE $4 END, updated_at = now()
                WHERE subscription = $1
                RETURNING pg_notify($5, '{"reset":' || to_json($1::text)::text || '}')
                """, [name, atEnd, Int64(bitPattern: place.transactionID), place.position, schema.notificationChannel])).collect()
            guard !rows.isEmpty else { throw EventStoreError(.notFound, "no subscription named \(name)") }
        }
    }
}
