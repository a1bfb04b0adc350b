import PGWire

/// The SQL a subscription sends, for one store schema.
struct SubscriptionStatements: Sendable {
    let schema: StoreSchema

    private var checkpoints: String { schema.table("subscription_checkpoints") }
    private var events: String { schema.table("events") }

    /// The share (0..<count) a stream belongs to: the first 32 bits of the MD5 of its name.
    /// MD5 because PostgreSQL has it built in and it never changes between versions, so every
    /// process (and `pgevents subscriptions`) agrees; it only spreads names, it protects nothing.
    static func shareExpression(stream: String = "stream_name", count: String) -> String {
        "mod(('x' || left(md5(\(stream)), 8))::bit(32)::int8, \(count))::int4"
    }

    /// Creates the rows of the shares that have none yet, starting at the given place
    /// ($3: true for the read barrier, "the end"; else $4/$5), and records the filter.
    /// $1 name, $2 share count, $3 start at the end, $4 transaction (int8), $5 position,
    /// $6 categories, $7 streams, $8 types.
    var createShares: String {
        """
        WITH created AS (
            INSERT INTO \(checkpoints)
                (subscription, partition_index, partition_count, transaction_id, position, categories, streams, event_types)
            SELECT $1, share, $2,
                CASE WHEN $3 THEN pg_snapshot_xmin(pg_current_snapshot()) ELSE $4::int8::text::xid8 END,
                CASE WHEN $3 THEN 0 ELSE $5 END, $6, $7, $8
            FROM generate_series(0, $2 - 1) AS share
            ON CONFLICT (subscription, partition_index) DO NOTHING
        )
        UPDATE \(checkpoints) SET categories = $6, streams = $7, event_types = $8
        WHERE subscription = $1 AND (categories, streams, event_types) IS DISTINCT FROM ($6, $7, $8)
        """
    }

    /// The share counts a subscription's rows were created with: one value, unless rows were
    /// made by hand. A statement of its own after ``createShares``, so that its snapshot sees
    /// the rows of a member that created them at the same moment (whose insert ours waited
    /// for; in one statement both would be invisible to it). $1 name.
    var shareCounts: String {
        "SELECT DISTINCT partition_count FROM \(checkpoints) WHERE subscription = $1"
    }

    /// The checkpoints of some shares: $1 name, $2 shares.
    var loadShares: String {
        """
        SELECT partition_index, transaction_id, position FROM \(checkpoints)
        WHERE subscription = $1 AND partition_index = ANY($2::int4[])
        """
    }

    /// Moves the checkpoints of some shares, each only if it still is where this runner last
    /// saw it, and notifies waiters. A share that moved under this runner (a reset, or another
    /// runner) fails the statement with SQLSTATE PGE02, so a transaction that carries it (sent
    /// with its COMMIT) rolls back rather than commit over the other's work.
    /// $1 name, $2 shares, $3 old transactions, $4 old positions, $5 new transactions,
    /// $6 new positions, $7 events handled, $8 the checkpoint channel.
    var saveShares: String {
        """
        WITH moved AS (
            UPDATE \(checkpoints) AS c
            SET transaction_id = s.new_tx::text::xid8, position = s.new_pos,
                events_handled = c.events_handled + s.handled, updated_at = now()
            FROM unnest($2::int4[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
                AS s(share, old_tx, old_pos, new_tx, new_pos, handled)
            WHERE c.subscription = $1 AND c.partition_index = s.share
              AND c.transaction_id = s.old_tx::text::xid8 AND c.position = s.old_pos
            RETURNING c.partition_index, pg_notify($8, $1)
        )
        SELECT \(schema.table("require_checkpoints_moved"))($1, cardinality($2::int4[]), count(*)) FROM moved
        """
    }

    /// SQLSTATE of ``saveShares``' refusal.
    static let checkpointMovedState: PGSQLState = "PGE02"

    /// A batch: the read barrier, then up to $3 events after ($1, $2) below it, each with its
    /// share. Always one row at least (the barrier; event columns null when there are none).
    /// Filters and shares as `filter` and `shareCount` say; their parameters follow $3.
    func fetch(_ filter: SubscriptionFilter, shareCount: Int) -> String {
        var conditions = ""
        var next = 4
        if !filter.categories.isEmpty {
            conditions += " AND split_part(stream_name, '-', 1) = ANY($\(next)::text[])"
            next += 1
        }
        if !filter.streams.isEmpty {
            conditions += " AND stream_name = ANY($\(next)::text[])"
            next += 1
        }
        if !filter.types.isEmpty {
            conditions += " AND event_type = ANY($\(next)::text[])"
            next += 1
        }
        var share = "0"
        if shareCount > 1 {
            share = Self.shareExpression(count: String(shareCount))
            conditions += " AND \(share) = ANY($\(next)::int4[])"
        }
        return """
            WITH b AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS barrier)
            SELECT b.barrier, e.* FROM b LEFT JOIN LATERAL (
                SELECT \(share) AS share, \(RecordedEvent.columns) FROM \(events)
                WHERE (transaction_id, position) > ($1::int8::text::xid8, $2::int8)
                  AND transaction_id < b.barrier\(conditions)
                ORDER BY transaction_id, position LIMIT $3
            ) AS e ON true
            """
    }

    /// The filter's parameters for ``fetch(_:shareCount:)``, in its order.
    static func fetchValues(_ filter: SubscriptionFilter, shares: [Int32], shareCount: Int) -> [any PGEncodable] {
        var values: [any PGEncodable] = []
        if !filter.categories.isEmpty { values.append(filter.categories) }
        if !filter.streams.isEmpty { values.append(filter.streams) }
        if !filter.types.isEmpty { values.append(filter.types) }
        if shareCount > 1 { values.append(shares) }
        return values
    }

    /// Records a poison event and the error it caused.
    var park: String {
        """
        INSERT INTO \(schema.table("subscription_parked"))
            (subscription, position, transaction_id, event_id, stream_name, event_type, attempts, error)
        VALUES ($1, $2, $3::int8::text::xid8, $4, $5, $6, $7, $8)
        ON CONFLICT (subscription, position) DO UPDATE SET attempts = EXCLUDED.attempts, error = EXCLUDED.error
        """
    }
}
