import PGWire

/// A stream's head.
public struct StreamInfo: Sendable, Hashable {
    /// The stream's name.
    public var name: String
    /// The version of its last event, deleted or not.
    public var version: Int64
    /// Soft-deleted, and not appended to since.
    public var isDeleted: Bool
    /// Events up to this version are hidden from stream reads by a soft delete (0: none).
    public var deletedVersion: Int64

    /// A stream head with the given values; ``EventStore/streamInfo(_:)`` makes them from the store.
    public init(name: String, version: Int64, isDeleted: Bool, deletedVersion: Int64) {
        self.name = name
        self.version = version
        self.isDeleted = isDeleted
        self.deletedVersion = deletedVersion
    }
}

extension EventStore {
    /// The stream's head, or nil when it was never written. Runs on ``readPool``.
    public func streamInfo(_ stream: String) async throws -> StreamInfo? {
        let sql = "SELECT version, deleted_version FROM \(schema.table("streams")) WHERE stream_name = $1 AND version > 0"
        return try await withReadConnection { connection in
            try await connection.query(PGQuery(sql, [stream])).collect().first.map { row in
                let version = try row.decode(Int64.self, at: 0)
                let deletedVersion = try row.decode(Int64.self, at: 1)
                return StreamInfo(name: stream, version: version, isDeleted: deletedVersion == version, deletedVersion: deletedVersion)
            }
        }
    }

    /// Soft-deletes a stream: its events disappear from stream reads (they stay in
    /// ``readAll(after:categories:types:limit:)``). Appending to it again continues its
    /// version numbering, and reads then show the new events only.
    ///
    /// `expected` is the version the stream must be at (``ExpectedVersion/any`` for
    ///   no check; ``ExpectedVersion/noStream`` is never satisfied by a stream to delete).
    /// - Throws: ``EventStoreError/Code/versionConflict``; ``EventStoreError/Code/notFound``
    ///   when the stream was never written.
    public func deleteStream(_ stream: String, expected: ExpectedVersion = .any) async throws {
        let streams = schema.table("streams")
        let sql = "SELECT version, deleted_version FROM \(streams) WHERE stream_name = $1 AND version > 0 FOR UPDATE"
        // One transaction: the head row stays locked (FOR UPDATE) from the check to the update.
        try await withTransaction { connection in
            guard let row = try await connection.query(PGQuery(sql, [stream])).collect().first else {
                throw EventStoreError(.notFound, "stream \(stream) does not exist", stream: stream, expectedVersion: expected)
            }
            let version = try row.decode(Int64.self, at: 0)
            let deleted = try row.decode(Int64.self, at: 1) == version
            let holds: Bool =
                switch expected {
                case .any: true
                case .noStream: false
                case .streamExists: !deleted
                case .exact(let wanted): wanted == version
                }
            guard holds else {
                throw EventStoreError(
                    .versionConflict,
                    "wrong expected version for deleting stream \(stream): expected \(expected), actual \(version)\(deleted ? " (deleted)" : "")",
                    stream: stream, expectedVersion: expected, actualVersion: version)
            }
            _ = try await connection.execute(
                PGQuery("UPDATE \(streams) SET deleted_version = version WHERE stream_name = $1", [stream]))
        }
    }
}
