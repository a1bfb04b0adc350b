/// The SQL of an append, with the store's schema filled in. Built once per store; each
/// statement is cached as a prepared statement on every connection.
struct AppendStatements: Sendable {
    /// Upserts the heads (creating missing ones, locking existing ones) under per-stream
    /// advisory locks taken in key order, moves each on by its event count and checks every
    /// expectation against the version before; a failed check raises SQLSTATE PGE01 inside the statement. Yields
    /// `heads(versions)`: the new versions as one array in the order of $1. $1 names, $2 event
    /// counts, $3 expectation kinds, $4 exact versions, $5 expectation labels.
    private let checkedHeads: String
    /// `checkedHeads`, for the COPY path, which computes the event versions itself: returns the
    /// new versions (int8[] in the order of $1), $6 positions drawn from the events' own
    /// sequence (int8[], ascending), and the transaction's id. With the positions known, the
    /// COPY writes them, and nothing has to read the written events back (an index scan and a
    /// sort of the batch, and a row per event to the client: 6 to 8 % of the backend's time).
    let moveHeadsAndDrawPositions: String
    /// `checkedHeads`, then inserts the events at the versions below the new heads and notifies
    /// the store's channel once per transaction (identical payloads collapse). Returns
    /// (position, stream_version, transaction_id) in the given order. $6 each event's stream
    /// as an index into $1 (1-based), $7 its distance from its stream's new head, $8 ids,
    /// $9 types, $10 data, $11 metadata, $12 channel.
    let moveHeadsAndInsert: String
    /// The common append of one event to one stream, without the arrays, sorts and window of
    /// `moveHeadsAndInsert` (their setup was most of a single append's server time: 54 against
    /// 31 µs per append in pgbench). $1 stream, $2 expectation kind, $3 exact version, $4
    /// expectation label, $5 id, $6 type, $7 data, $8 metadata, $9 channel.
    let moveHeadAndInsertOne: String
    /// Several events to one stream (the other common append): the head as scalars, no
    /// array of heads and no name sort. $1 stream, $2 event count, $3 expectation kind, $4 exact
    /// version, $5 expectation label, $6 each event's distance from the new head, $7 ids,
    /// $8 types, $9 data, $10 metadata, $11 channel.
    let moveHeadAndInsertMany: String
    /// For a failed append that may be a retry: the stored event (if any) for each given id,
    /// and whether its type, data and metadata are the same (json has no equality: the texts
    /// are compared, and a retry sends the same bytes). $1 ids, $2 types, $3 data,
    /// $4 metadata.
    let storedEvents: String

    init(schema: StoreSchema) {
        let streams = schema.table("streams")
        let events = schema.table("events")
        // Each append first takes a transaction-level advisory lock per stream it writes (in
        // key order: no deadlock), before its first write. The first write assigns the
        // transaction its id, so of two appends to one stream the one that writes first has
        // the lower id, and the global order (transaction id, position) agrees with every
        // stream's versions. Without it, a transaction could take its id, lose the race for the
        // head's row lock, and commit later versions under the lower id: a reader in the
        // global order (a subscription) then saw v7 before v5 (GlobalOrderTests). The lock
        // comes from a MATERIALIZED CTE that the head upsert reads from, so it is taken before
        // the upsert's first row exists; it assigns no transaction id itself. For the same
        // reason the events' INSERT reads the new heads from its FROM, not from a subquery in
        // its values: the column default pg_current_xact_id() is computed with the values, and
        // would otherwise take the transaction's id before the heads were locked.
        let lockClass = schema.streamLockClass
        let lockStreams = """
            locked AS MATERIALIZED (
                SELECT count(pg_advisory_xact_lock(\(lockClass), key)) AS streams
                FROM (SELECT DISTINCT hashtext(name) AS key FROM unnest($1::text[]) AS t(name) ORDER BY key) AS keys
            )
            """
        let lockStream = "locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(\(lockClass), hashtext($1::text)) AS stream)"
        // One statement does what would otherwise take three (create missing heads, lock them,
        // check and move them): INSERT ... ON CONFLICT inserts or locks and updates each row.
        // The rows need no order: every append holds its streams' advisory locks (taken in key
        // order above) before it touches a head, so two appends never wait for each other's
        // head rows, and no sort of the names is paid for. Each head is written once (a HOT
        // update: see sql/). The version before is the new one - n (a head created here had
        // none: 0); deleted means deleted at that version. The new versions come back as one
        // array indexed like $1, so the events find theirs by subscript: no join that would sort
        // the events' wide rows.
        // kind: 0 any, 1 no stream (never written, or deleted), 2 exists, 3 exact version.
        checkedHeads = """
            \(lockStreams),
            w AS (
                SELECT * FROM unnest($1::text[], $2::int8[], $3::int4[], $4::int8[], $5::text[])
                    WITH ORDINALITY AS w(name, n, kind, expected, label, index)
            ),
            moved AS (
                INSERT INTO \(streams) AS h (stream_name, version)
                SELECT name, n FROM w CROSS JOIN locked
                ON CONFLICT (stream_name) DO UPDATE SET version = h.version + EXCLUDED.version
                RETURNING h.stream_name, h.version, h.deleted_version
            ),
            heads AS (
                SELECT array_agg(CASE
                        WHEN w.kind = 0
                          OR (w.kind = 1 AND (m.version = w.n OR m.deleted_version = m.version - w.n))
                          OR (w.kind = 2 AND m.version > w.n AND m.deleted_version <> m.version - w.n)
                          OR (w.kind = 3 AND m.version - w.n = w.expected)
                        THEN m.version
                        ELSE \(schema.quoted).raise_version_conflict(m.stream_name, w.label, nullif(m.version - w.n, 0))
                    END ORDER BY w.index) AS versions
                FROM moved m JOIN w ON w.name = m.stream_name
            )
            """
        // nextval per event costs some 0.14 µs; the sequence's name is looked up once per
        // statement, so a table made by hand with another sequence name works too.
        let eventsText = events.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''")
        // The lookup sits in a MATERIALIZED CTE: as a subquery joined to generate_series it was
        // run again for every position (12 % of the backend's time in perf).
        moveHeadsAndDrawPositions = """
            WITH \(checkedHeads),
            sequence AS MATERIALIZED (SELECT pg_get_serial_sequence('\(eventsText)', 'position')::regclass AS id)
            SELECT heads.versions,
                (SELECT array_agg(nextval(sequence.id)) FROM sequence, generate_series(1, $6::int4)) AS positions,
                pg_current_xact_id() AS transaction_id
            FROM heads
            """
        func notify(_ channel: String) -> String {
            """
            pg_notify(\(channel), '{"transaction_id":' || transaction_id::text || ',"position":' || (max(position) OVER ())::text || '}')
            """
        }
        moveHeadsAndInsert = """
            WITH \(checkedHeads),
            inserted AS (
                INSERT INTO \(events) (stream_name, stream_version, event_id, event_type, data, metadata)
                SELECT ($1::text[])[e.stream], heads.versions[e.stream] - e.back, e.id, e.type, e.data, e.metadata
                FROM heads CROSS JOIN unnest($6::int4[], $7::int8[], $8::uuid[], $9::text[], $10::json[], $11::json[])
                    WITH ORDINALITY AS e(stream, back, id, type, data, metadata, ord)
                ORDER BY e.ord
                RETURNING position, stream_version, transaction_id
            )
            SELECT position, stream_version, transaction_id, \(notify("$12"))
            FROM inserted ORDER BY position
            """
        // The check sits in RETURNING: the head row is locked and moved by then, and a raise
        // there still aborts the whole statement.
        moveHeadAndInsertOne = """
            WITH \(lockStream),
            moved AS (
                INSERT INTO \(streams) AS h (stream_name, version) SELECT $1::text, 1 FROM locked
                ON CONFLICT (stream_name) DO UPDATE SET version = h.version + 1
                RETURNING CASE
                        WHEN $2::int4 = 0
                          OR ($2 = 1 AND (h.version = 1 OR h.deleted_version = h.version - 1))
                          OR ($2 = 2 AND h.version > 1 AND h.deleted_version <> h.version - 1)
                          OR ($2 = 3 AND h.version - 1 = $3::int8)
                        THEN h.version
                        ELSE \(schema.quoted).raise_version_conflict($1, $4::text, nullif(h.version - 1, 0))
                    END AS version
            ),
            inserted AS (
                INSERT INTO \(events) (stream_name, stream_version, event_id, event_type, data, metadata)
                SELECT $1, moved.version, $5::uuid, $6::text, $7::json, $8::json FROM moved
                RETURNING position, stream_version, transaction_id
            )
            SELECT position, stream_version, transaction_id,
                pg_notify($9, '{"transaction_id":' || transaction_id::text || ',"position":' || position::text || '}')
            FROM inserted
            """
        moveHeadAndInsertMany = """
            WITH \(lockStream),
            moved AS (
                INSERT INTO \(streams) AS h (stream_name, version) SELECT $1::text, $2::int8 FROM locked
                ON CONFLICT (stream_name) DO UPDATE SET version = h.version + EXCLUDED.version
                RETURNING CASE
                        WHEN $3::int4 = 0
                          OR ($3 = 1 AND (h.version = $2 OR h.deleted_version = h.version - $2))
                          OR ($3 = 2 AND h.version > $2 AND h.deleted_version <> h.version - $2)
                          OR ($3 = 3 AND h.version - $2 = $4::int8)
                        THEN h.version
                        ELSE \(schema.quoted).raise_version_conflict($1, $5::text, nullif(h.version - $2, 0))
                    END AS version
            ),
            inserted AS (
                INSERT INTO \(events) (stream_name, stream_version, event_id, event_type, data, metadata)
                SELECT $1, moved.version - e.back, e.id, e.type, e.data, e.metadata
                FROM moved CROSS JOIN unnest($6::int8[], $7::uuid[], $8::text[], $9::json[], $10::json[])
                    WITH ORDINALITY AS e(back, id, type, data, metadata, ord)
                ORDER BY e.ord
                RETURNING position, stream_version, transaction_id
            )
            SELECT position, stream_version, transaction_id, \(notify("$11"))
            FROM inserted ORDER BY position
            """
        storedEvents = """
            SELECT i.ord, e.position, e.stream_name, e.stream_version, e.transaction_id,
                   e.event_type = i.type AND e.data::text = i.data::text AND e.metadata::text IS NOT DISTINCT FROM i.metadata::text
            FROM unnest($1::uuid[], $2::text[], $3::json[], $4::json[]) WITH ORDINALITY AS i(id, type, data, metadata, ord)
            LEFT JOIN \(events) e ON e.event_id = i.id
            ORDER BY i.ord
            """
    }
}
