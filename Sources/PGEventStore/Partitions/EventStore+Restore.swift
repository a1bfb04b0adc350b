import PGWire

extension EventStore {
    /// Brings back the partitions of an archive file written by
    /// ``archivePartitions(before:to:)``, with the same rows, and attaches them again.
    ///
    /// The whole file is checked first (its format, its `end` line, its schema version against
    /// the store's, and that each of its partitions is recorded as archived in this store), so
    /// a file that does not fit changes nothing. Then each partition is restored in a
    /// transaction of its own: its table is created, its rows are copied in (binary COPY), its
    /// event ids are put back in `event_ids` if they are missing, and it is attached (SHARE
    /// UPDATE EXCLUSIVE on events: appends and reads go on; its bounds are a CHECK constraint,
    /// so attaching does not scan it). A partition restored already is refused, not doubled.
    ///
    /// - Throws: ``EventStoreError/Code/invalidArgument`` for a file that is not a whole
    ///   archive; ``EventStoreError/Code/partitioning`` when the store is not partitioned, is
    ///   at another schema version, or does not hold one of the file's partitions as archived.
    @discardableResult
    public func restorePartitions(from path: String) async throws -> PartitionArchiveSummary {
        try await withConnection { connection in
            guard try await isPartitioned(connection) else {
                throw EventStoreError(.partitioning, "the events table of schema \(schema.name) is not partitioned")
            }
            let version = try await Migrator(schema: schema).currentVersion(connection)
            let sections = try await check(path, schemaVersion: version, on: connection)
            let file = try PartitionArchiveReader(path: path)
            _ = try file.readLine()
            _ = try file.readLine()
            var restored: [PartitionInfo] = []
            for section in sections {
                _ = try file.readLine()
                try await restore(section, from: file, on: connection)
                restored.append(PartitionInfo(table: section.table, lower: section.lower, upper: section.upper, isArchived: false))
            }
            return PartitionArchiveSummary(partitions: restored, events: sections.reduce(0) { $0 + $1.rows })
        }
    }

    /// Reads the file's header lines (skipping the data) and checks them against the store.
    private func check(_ path: String, schemaVersion: Int, on connection: PGConnection) async throws -> [PartitionArchiveFormat.Section] {
        let file = try PartitionArchiveReader(path: path)
        guard try file.readLine() == PartitionArchiveFormat.magic else { throw file.malformed("it does not start with \(PartitionArchiveFormat.magic)") }
        guard let version = try file.readLine().flatMap(PartitionArchiveFormat.schemaVersion) else {
            throw file.malformed("its second line is not schema=<version>")
        }
        guard version == schemaVersion else {
            throw EventStoreError(
                .partitioning, "\(path) holds events of schema version \(version); schema \(schema.name) is at \(schemaVersion)")
        }
        var sections: [PartitionArchiveFormat.Section] = []
        while true {
            guard let line = try file.readLine() else { throw file.malformed("it has no end line (truncated?)") }
            if line == PartitionArchiveFormat.endLine { break }
            guard let section = PartitionArchiveFormat.Section(line: line) else { throw file.malformed("a line is not a partition line") }
            try await file.skip(section.bytes)
            sections.append(section)
        }
        guard try file.readLine() == nil else { throw file.malformed("it goes on after its end line") }
        for section in sections {
            let rows = try await connection.query("""
                SELECT lower_position, upper_position, archived_at IS NOT NULL
                FROM \(unescaped: schema.table("event_partitions")) WHERE table_name = \(section.table)
                """).collect()
            guard let row = rows.first, try row.decode(Int64.self, at: 0) == section.lower,
                try row.decode(Int64.self, at: 1) == section.upper
            else {
                throw EventStoreError(
                    .partitioning, "schema \(schema.name) has no partition \(section.table) from \(section.lower) to \(section.upper)")
            }
            guard try row.decode(Bool.self, at: 2) else {
                throw EventStoreError(.partitioning, "partition \(section.table) of schema \(schema.name) is not archived: it is there")
            }
        }
        return sections
    }

    /// One partition, in one transaction.
    private func restore(_ section: PartitionArchiveFormat.Section, from file: PartitionArchiveReader, on connection: PGConnection) async throws {
        let table = schema.table(PGQuery.quoteIdentifier(section.table))
        try await connection.withTransaction { connection in
            _ = try await connection.simpleQuery("SET LOCAL search_path TO \(schema.quoted)")
            let created = try ServerData.exactly(
                1, try await connection.query("SELECT create_event_partition_table(\(section.lower), \(section.upper))").collect(),
                "rows of create_event_partition_table")[0]
            guard try created.decode(String.self, at: 0) == section.table else {
                throw EventStoreError(.partitioning, "the partition from \(section.lower) is not named \(section.table) in this store")
            }
            // The file holds binary COPY data, header and trailer included: it is passed on as
            // it is, so the writer is opened in text mode (which adds nothing of its own).
            let copied = try await connection.copyIn(
                sql: "COPY \(table) (\(RecordedEvent.archivedColumns)) FROM STDIN (FORMAT binary)", format: .text
            ) { writer in
                try await file.read(section.bytes) { try await writer.write($0) }
            }
            guard copied == section.rows else {
                throw EventStoreError(
                    .invalidArgument, "\(file.path): partition \(section.table) restored \(copied) rows, its header says \(section.rows)")
            }
            _ = try await connection.simpleQuery("""
                INSERT INTO event_ids (event_id, position) SELECT event_id, position FROM \(table) ON CONFLICT DO NOTHING;
                ALTER TABLE events ATTACH PARTITION \(table) FOR VALUES FROM (\(section.lower)) TO (\(section.upper))
                """)
            _ = try await connection.execute("UPDATE event_partitions SET archived_at = NULL WHERE table_name = \(section.table)")
        }
    }
}
