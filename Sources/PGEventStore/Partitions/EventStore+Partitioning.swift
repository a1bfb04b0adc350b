import PGWire
import Synchronization

/// How a store's events table is partitioned (see ``EventStore/partition(size:ahead:)``).
public struct PartitionLayout: Sendable, Equatable {
    /// Positions per partition: partition k holds positions `1 + k * size ..< 1 + (k + 1) * size`.
    public var size: Int64
    /// Empty partitions kept ready above the one appends are writing into.
    public var ahead: Int
    /// The partitions, attached or archived, lowest first.
    public var partitions: [PartitionInfo]
}

/// One partition of the events table.
public struct PartitionInfo: Sendable, Equatable {
    /// The partition's table, in the store's schema.
    public var table: String
    /// The lowest position it holds.
    public var lower: Int64
    /// The position above the highest it holds.
    public var upper: Int64
    /// Whether its events were archived to a file (its table dropped) and not restored.
    public var isArchived: Bool
}

extension EventStore {
    /// Converts the events table into one partitioned by ranges of `size` positions: an opt-in
    /// step, never taken by ``migrate()`` (which keeps working on a partitioned store).
    ///
    /// Every event is kept, with the same columns and positions. The conversion holds an ACCESS
    /// EXCLUSIVE lock on the events table and rewrites every row, in one transaction: run it on
    /// a new store, or when appends can pause. From then on appends create partitions before
    /// they are needed (`ahead` empty ones above the one being written), event ids stay unique
    /// across partitions through the table `event_ids`, and stream versions through the stream
    /// heads (see `sql/partitioned/partition_events.sql`).
    ///
    /// - Returns: the new layout.
    /// - Throws: ``EventStoreError/Code/partitioning`` when the store is already partitioned or
    ///   not at ``latestSchemaVersion`` (run ``migrate()`` first);
    ///   ``EventStoreError/Code/invalidArgument`` for a size outside 1...2^50 or `ahead` outside
    ///   1...1000.
    @discardableResult
    public func partition(size: Int64, ahead: Int = 2) async throws -> PartitionLayout {
        // The caps keep the bounds' arithmetic (lower + size * ahead) far inside int8.
        guard (1...(1 << 50)).contains(size), (1...1_000).contains(ahead) else {
            throw EventStoreError(
                .invalidArgument, "partition size must be 1 to 2^50 and partitions ahead 1 to 1000, got \(size) and \(ahead)")
        }
        try await withConnection { connection in
            // Under the migrations' lock: a concurrent migrate() or partition() waits.
            let (classID, objectID) = schema.migrationLockKey
            _ = try await connection.execute("SELECT pg_advisory_lock(\(classID), \(objectID))")
            do {
                try await convert(size: size, ahead: Int32(ahead), on: connection)
                _ = try await connection.execute("SELECT pg_advisory_unlock(\(classID), \(objectID))")
            } catch {
                // A broken connection released the lock with its session.
                if !connection.isClosed {
                    _ = try? await connection.execute("SELECT pg_advisory_unlock(\(classID), \(objectID))")
                }
                throw error
            }
        }
        partitionHorizon.store(0, ordering: .relaxed)
        guard let layout = try await partitionLayout() else {
            throw EventStoreError(.unexpectedResult, "the events table of schema \(schema.name) is not partitioned after partitioning")
        }
        return layout
    }

    /// The conversion itself, under the migrations' lock.
    private func convert(size: Int64, ahead: Int32, on connection: PGConnection) async throws {
        let version = try await Migrator(schema: schema).currentVersion(connection)
        guard version == Migration.latestVersion else {
            throw EventStoreError(
                .partitioning,
                "schema \(schema.name) is at version \(version), not \(Migration.latestVersion): run migrate() before partitioning")
        }
        guard try await !isPartitioned(connection) else {
            throw EventStoreError(.partitioning, "the events table of schema \(schema.name) is already partitioned")
        }
        try await connection.withTransaction { connection in
            _ = try await connection.simpleQuery("SET LOCAL search_path TO \(schema.quoted)")
            _ = try await connection.simpleQuery(EmbeddedPartitioning.sql)
            _ = try await connection.execute("SELECT partition_events(\(size), \(ahead))")
        }
    }

    /// The events table's partitions; nil when it is not partitioned.
    public func partitionLayout() async throws -> PartitionLayout? {
        try await withConnection { connection in
            guard try await isPartitioned(connection) else { return nil }
            let settings = try ServerData.exactly(
                1,
                try await connection.query(
                    "SELECT partition_size, partitions_ahead FROM \(unescaped: schema.table("event_partitioning"))"
                ).collect(), "partitioning rows")[0]
            var partitions: [PartitionInfo] = []
            for try await row in try await connection.query("""
                SELECT table_name, lower_position, upper_position, archived_at IS NOT NULL
                FROM \(unescaped: schema.table("event_partitions")) ORDER BY lower_position
                """)
            {
                partitions.append(
                    PartitionInfo(
                        table: try row.decode(String.self, at: 0), lower: try row.decode(Int64.self, at: 1),
                        upper: try row.decode(Int64.self, at: 2), isArchived: try row.decode(Bool.self, at: 3)))
            }
            return PartitionLayout(
                size: try settings.decode(Int64.self, at: 0), ahead: Int(try settings.decode(Int32.self, at: 1)),
                partitions: partitions)
        }
    }

    /// Creates the partitions appends will need next, if they are not there yet (appends do
    /// this themselves when they reach the next partition; call it from maintenance to keep
    /// that work off the append path). Each new partition is attached with `ATTACH PARTITION`,
    /// which does not block appends or reads.
    /// - Returns: the position at which appends will call it again.
    /// - Throws: ``EventStoreError/Code/partitioning`` when the store is not partitioned.
    @discardableResult
    public func ensurePartitions() async throws -> Int64 {
        try await withConnection { connection in
            guard let horizon = try await ensurePartitions(on: connection) else {
                throw EventStoreError(.partitioning, "the events table of schema \(schema.name) is not partitioned")
            }
            return horizon
        }
    }

    /// Runs ensure_event_partitions() and records its horizon; nil (and no more checks from
    /// appends) when the store is not partitioned.
    func ensurePartitions(upcoming: Int64 = 0, on connection: PGConnection) async throws -> Int64? {
        guard try await isPartitioned(connection) else {
            partitionHorizon.store(.max, ordering: .relaxed)
            return nil
        }
        let row = try ServerData.exactly(
            1,
            try await connection.query("SELECT \(unescaped: schema.quoted).ensure_event_partitions(\(upcoming))").collect(),
            "rows of ensure_event_partitions()")[0]
        let horizon = try row.decode(Int64.self, at: 0)
        partitionHorizon.store(horizon, ordering: .relaxed)
        return horizon
    }

    /// Whether the store was partitioned: its layout table exists.
    func isPartitioned(_ connection: PGConnection) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT to_regclass(\(schema.table("event_partitioning"))) IS NOT NULL").collect()
        return try ServerData.exactly(1, rows, "rows of to_regclass")[0].decode(Bool.self, at: 0)
    }
}
