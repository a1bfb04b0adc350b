public import PGWire

/// A stream's state at a version, saved so that loading it need not replay every event.
public struct StreamSnapshot: Sendable, Hashable {
    /// The stream.
    public var stream: String
    /// The stream version the state includes.
    public var version: Int64
    /// The type of the state, for decoding.
    public var type: String
    /// The state as JSON.
    public var data: PGRawJSON

    /// A snapshot of `stream` at `version`: the state `data`, whose type name is `type`.
    public init(stream: String, version: Int64, type: String, data: PGRawJSON) {
        self.stream = stream
        self.version = version
        self.type = type
        self.data = data
    }
}

extension EventStore {
    /// Saves `snapshot` as its stream's latest, replacing an older one (one at a newer
    /// version is kept: a slow writer does not overwrite a faster one's work).
    public func saveSnapshot(_ snapshot: StreamSnapshot) async throws {
        try AppendPlan.validate(streamName: snapshot.stream)
        let sql = """
            INSERT INTO \(schema.table("snapshots")) AS s (stream_name, version, snapshot_type, data)
            VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (stream_name) DO UPDATE
            SET version = EXCLUDED.version, snapshot_type = EXCLUDED.snapshot_type, data = EXCLUDED.data, created_at = now()
            WHERE s.version <= EXCLUDED.version
            """
        _ = try await withConnection { connection in
            try await connection.execute(PGQuery(sql, [snapshot.stream, snapshot.version, snapshot.type, snapshot.data]))
        }
    }

    /// The stream's latest snapshot, or nil. Runs on ``readPool``.
    public func loadSnapshot(_ stream: String) async throws -> StreamSnapshot? {
        let sql = "SELECT version, snapshot_type, data FROM \(schema.table("snapshots")) WHERE stream_name = $1"
        return try await withReadConnection { connection in
            try await connection.query(PGQuery(sql, [stream])).collect().first.map { row in
                StreamSnapshot(
                    stream: stream, version: try row.decode(Int64.self, at: 0), type: try row.decode(String.self, at: 1),
                    data: try row.decode(PGRawJSON.self, at: 2))
            }
        }
    }
}
