/// The SQL of an append, with the store's schema filled in. Built once per store; each
/// statement is cached as a prepared statement on every connection.
struct AppendStatements: Sendable {
    /// Creates the missing heads with version 0 (a placeholder no committed append leaves
    /// behind), in stream-name order. $1 = stream names.
    let ensureHeads: String
    /// Locks the heads in stream-name order: concurrent appends to overlapping streams queue
    /// instead of deadlocking. $1 = stream names.
    let lockHeads: String
    /// Checks every expectation against the locked heads and moves them on; a failed check
    /// raises SQLSTATE PGE01 inside the statement. Returns (stream_name, version). $1 names,
    /// $2 event counts, $3 expectation kinds, $4 exact versions, $5 expectation labels.
    let moveHeads: String
    /// `moveHeads`, then inserts the events at the versions below the new heads and notifies
    /// the store's channel once per transaction (identical payloads collapse). Returns
    /// (position, stream_version, transaction_id) in the given order. $6 event streams,
    /// $7 distance of each event from its stream's new head, $8 ids, $9 types, $10 data,
    /// $11 metadata, $12 channel.
    let moveHeadsAndInsert: String
    /// After a COPY in the same transaction: the written events' (position, stream_version,
    /// transaction_id), and the notification. $1 = channel.
    let writtenAndNotify: String
    /// For a failed append that may be a retry: the stored event (if any) for each given id,
    /// and whether its type, data and metadata are the same. $1 ids, $2 types, $3 data,
    /// $4 metadata.
    let storedEvents: String

    init(schema: StoreSchema) {
        let streams = schema.table("streams")
        let events = schema.table("events")
        ensureHeads = """
            INSERT INTO \(streams) (stream_name, version)
            SELECT name, 0 FROM unnest($1::text[]) AS w(name) ORDER BY name COLLATE "C"
            ON CONFLICT (stream_name) DO NOTHING
            """
        lockHeads = """
            SELECT stream_name FROM \(streams) WHERE stream_name = ANY($1::text[])
            ORDER BY stream_name COLLATE "C" FOR UPDATE
            """
        // kind: 0 any, 1 no stream (never written, or deleted), 2 exists, 3 exact version.
        moveHeads = """
            UPDATE \(streams) AS h
            SET version = CASE
                    WHEN w.kind = 0
                      OR (w.kind = 1 AND (h.version = 0 OR h.deleted))
                      OR (w.kind = 2 AND h.version > 0 AND NOT h.deleted)
                      OR (w.kind = 3 AND h.version = w.expected)
                    THEN h.version + w.n
                    ELSE \(schema.quoted).raise_version_conflict(h.stream_name, w.label, nullif(h.version, 0))
                END,
                deleted = false
            FROM unnest($1::text[], $2::int8[], $3::int4[], $4::int8[], $5::text[]) AS w(name, n, kind, expected, label)
            WHERE h.stream_name = w.name
            RETURNING h.stream_name, h.version
            """
        func notify(_ channel: String) -> String {
            """
            pg_notify(\(channel), '{"transaction_id":' || transaction_id::text || ',"position":' || (max(position) OVER ())::text || '}')
            """
        }
        moveHeadsAndInsert = """
            WITH heads AS (\(moveHeads)),
            inserted AS (
                INSERT INTO \(events) (stream_name, stream_version, event_id, event_type, data, metadata)
                SELECT e.stream, heads.version - e.back, e.id, e.type, e.data, e.metadata
                FROM unnest($6::text[], $7::int8[], $8::uuid[], $9::text[], $10::jsonb[], $11::jsonb[])
                    WITH ORDINALITY AS e(stream, back, id, type, data, metadata, ord)
                JOIN heads ON heads.stream_name = e.stream
                ORDER BY e.ord
                RETURNING position, stream_version, transaction_id
            )
            SELECT position, stream_version, transaction_id, \(notify("$12"))
            FROM inserted ORDER BY position
            """
        writtenAndNotify = """
            SELECT position, stream_version, transaction_id, \(notify("$1"))
            FROM \(events) WHERE transaction_id = pg_current_xact_id() ORDER BY position
            """
        storedEvents = """
            SELECT i.ord, e.position, e.stream_name, e.stream_version, e.transaction_id,
                   e.event_type = i.type AND e.data = i.data AND e.metadata IS NOT DISTINCT FROM i.metadata
            FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[]) WITH ORDINALITY AS i(id, type, data, metadata, ord)
            LEFT JOIN \(events) e ON e.event_id = i.id
            ORDER BY i.ord
            """
    }
}
