import PGWire

/// What ``EventStore/archivePartitions(before:to:)`` or ``EventStore/restorePartitions(from:)``
/// moved.
public struct PartitionArchiveSummary: Sendable, Equatable {
    /// The partitions archived or restored, lowest first.
    public var partitions: [PartitionInfo]
    /// The events they hold.
    public var events: Int64
}

extension EventStore {
    /// Moves every partition that lies wholly below `position` out of the database into one
    /// file, as binary COPY data (`PartitionArchiveFormat`), and drops its table.
    ///
    /// Each partition is first detached with `DETACH PARTITION ... CONCURRENTLY` (SHARE UPDATE
    /// EXCLUSIVE on events: appends and reads go on; it waits for transactions that use events
    /// to end), then its rows are written to `<path>.partial`, which is fsynced and renamed to
    /// `path`; only then are the detached tables dropped. A failure at any step loses nothing:
    /// detached tables stay (their events invisible, as archived ones), and archiving again
    /// picks them up. Only full partitions qualify: `position` is capped at the position after
    /// the last one drawn, so the partitions appends write into and the ones made ahead stay.
    ///
    /// What archived events mean: reads, read-all and subscriptions no longer see them until
    /// ``restorePartitions(from:)`` brings them back (a subscription already past them is not
    /// affected; one behind them skips them). Their ids stay in `event_ids`, so a reused id is
    /// still rejected: a retry of an archived append fails with
    /// ``EventStoreError/Code/duplicateEvent`` instead of succeeding, since its content can no
    /// longer be compared. Stream heads are kept: versions go on from where they were.
    ///
    /// - Returns: the partitions archived (none when no partition qualifies: no file is written).
    /// - Throws: ``EventStoreError/Code/partitioning`` when the store is not partitioned;
    ///   ``EventStoreError/Code/invalidArgument`` when `path` exists or cannot be written.
    @discardableResult
    public func archivePartitions(before position: Int64, to path: String) async throws -> PartitionArchiveSummary {
        try await withConnection { connection in
            guard try await isPartitioned(connection) else {
                throw EventStoreError(.partitioning, "the events table of schema \(schema.name) is not partitioned")
            }
            let version = try await Migrator(schema: schema).currentVersion(connection)
            let partitions = try await archivable(below: position, on: connection)
            guard !partitions.isEmpty else { return PartitionArchiveSummary(partitions: [], events: 0) }
            // The file first: a path that exists is refused before anything is detached.
            let file = try PartitionArchiveWriter(creating: path)
            let events: Int64
            do {
                for partition in partitions { try await detach(partition, on: connection) }
                events = try await write(partitions, schemaVersion: version, to: file, on: connection)
            } catch {
                file.discard()
                throw error
            }
            try await connection.withTransaction { connection in
                for partition in partitions {
                    _ = try await connection.simpleQuery("DROP TABLE \(schema.table(PGQuery.quoteIdentifier(partition.table)))")
                }
                _ = try await connection.execute(
                    "UPDATE \(unescaped: schema.table("event_partitions")) SET archived_at = now() WHERE table_name = ANY(\(partitions.map(\.table)))")
            }
            return PartitionArchiveSummary(
                partitions: partitions.map { PartitionInfo(table: $0.table, lower: $0.lower, upper: $0.upper, isArchived: true) },
                events: events)
        }
    }

    /// The partitions not yet archived whose every position is below `position` and was drawn.
    private func archivable(below position: Int64, on connection: PGConnection) async throws -> [PartitionInfo] {
        var partitions: [PartitionInfo] = []
        for try await row in try await connection.query("""
            SELECT table_name, lower_position, upper_position
            FROM \(unescaped: schema.table("event_partitions"))
            WHERE archived_at IS NULL AND upper_position <= least(\(position),
                coalesce(pg_sequence_last_value(pg_get_serial_sequence(\(schema.table("events")), 'position')), 0) + 1)
            ORDER BY lower_position
            """)
        {
            partitions.append(
                PartitionInfo(
                    table: try row.decode(String.self, at: 0), lower: try row.decode(Int64.self, at: 1),
                    upper: try row.decode(Int64.self, at: 2), isArchived: false))
        }
        return partitions
    }

    /// Detaches a partition, or finishes a detach that an earlier run left pending; nothing
    /// when it is detached already.
    private func detach(_ partition: PartitionInfo, on connection: PGConnection) async throws {
        let table = schema.table(PGQuery.quoteIdentifier(partition.table))
        let rows = try await connection.query("""
            SELECT to_regclass(\(table)) IS NOT NULL,
                (SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(\(table)))
            """).collect()
        let row = try ServerData.exactly(1, rows, "rows about partition \(partition.table)")[0]
        guard try row.decode(Bool.self, at: 0) else {
            throw EventStoreError(
                .partitioning, "partition \(partition.table) is neither archived nor in the database: restore it from its archive")
        }
        guard let pending = try row.decode(Bool?.self, at: 1) else { return }
        // Outside a transaction block, as CONCURRENTLY requires (the pool's connection is idle).
        _ = try await connection.simpleQuery(
            "ALTER TABLE \(schema.table("events")) DETACH PARTITION \(table) \(pending ? "FINALIZE" : "CONCURRENTLY")")
    }

    /// Writes the archive file; returns the number of events in it.
    private func write(
        _ partitions: [PartitionInfo], schemaVersion: Int, to file: PartitionArchiveWriter, on connection: PGConnection
    ) async throws -> Int64 {
        try file.writeLine(PartitionArchiveFormat.magic)
            try file.writeLine(PartitionArchiveFormat.schemaLine(schemaVersion))
            var events: Int64 = 0
            for partition in partitions {
                var section = PartitionArchiveFormat.Section(
                    table: partition.table, lower: partition.lower, upper: partition.upper, rows: 0, bytes: 0)
                let sectionStart = file.offset
                try file.writeLine(section.line)
                let dataStart = file.offset
                let table = schema.table(PGQuery.quoteIdentifier(partition.table))
                let data = try await connection.copyOut(
                    "COPY \(table) (\(RecordedEvent.archivedColumns)) TO STDOUT (FORMAT binary)")
                for try await chunk in data { try file.write(chunk) }
                section.bytes = Int64(file.offset - dataStart)
                // The tag is `COPY <rows>`.
                guard let tag = data.commandTag, tag.hasPrefix("COPY "), let rows = Int64(tag.dropFirst("COPY ".count)) else {
                    throw EventStoreError(.unexpectedResult, "COPY of partition \(partition.table) ended with tag \(data.commandTag ?? "none")")
                }
                section.rows = rows
                events += section.rows
                let fields = section.line
                try file.overwrite(at: sectionStart, Array((fields + "\n").utf8))
            }
            try file.writeLine(PartitionArchiveFormat.endLine)
            try file.finish()
            return events
    }
}

extension RecordedEvent {
    /// The columns an archive holds, in its order: all of events', named so that a column
    /// added later cannot shift them.
    static let archivedColumns =
        "position, transaction_id, stream_name, stream_version, event_id, event_type, data, metadata, created_at"
}
