@_spi(Benchmarks) import PGWire

// The COPY contenders: binary COPY FROM STDIN for the append, binary COPY TO STDOUT for the read.

enum CopyContenders {
    // MARK: COPY FROM STDIN

    /// Expects
    /// `PGConnection.copyIn(table: String, columns: [String], _ body: (PGCopyWriter) async throws -> Void) async throws -> Int`
    /// returning the number of rows copied, whose writer encodes one binary COPY row with
    /// `writeRow(_ values: repeat each some PGEncodable) async throws`. One COPY per batch,
    /// inside `withTransaction`.
    static func appendCOPY(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        try await appendCOPY(target, batches, flushThreshold: nil)
    }

    /// ``appendCOPY(_:_:)`` with the writer sending once `flushThreshold` bytes are buffered
    /// (nil: PGWire's default), to compare CopyData framings in one run.
    static func appendCOPY(_ target: Target, _ batches: [EventBatch], flushThreshold: Int?) async throws -> Cost {
        try await target.withPGWire { connection in
            try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                for events in batches {
                    let rows = try await connection.withTransaction { connection in
                        try await connection.copyIn(table: "events", columns: EventData.columns) { writer in
                            if let flushThreshold { writer.flushThreshold = flushThreshold }
                            for i in 0..<events.count {
                                try await writer.writeRow(
                                    events.ids[i], events.streams[i], events.versions[i], events.types[i],
                                    PGRawJSON(bytes: events.payloads[i]), PGRawJSON(bytes: events.metadata[i]))
                            }
                        }
                    }
                    guard rows == events.count else { throw BenchError("copyIn reported \(rows) rows, not \(events.count)") }
                }
            }
        }
    }

    // MARK: COPY TO STDOUT

    /// Expects
    /// `PGConnection.copyOut(_ sql: String, columnTypes: [PGDataType]) async throws -> PGCopyRowSequence`:
    /// it runs a binary `COPY ... TO STDOUT` and yields each row as a `PGRow` whose columns have
    /// the given types, so that `row.decode(_:at:)` works as for a query. Returns the tally.
    static func readCOPY(_ connection: PGConnection) async throws -> ReadBench.Tally {
        let rows = try await connection.copyOut(
            "COPY events TO STDOUT (FORMAT binary)",
            columnTypes: [.int8, .uuid, .text, .int8, .text, .jsonb, .jsonb, .timestamptz])
        var tally = ReadBench.Tally()
        for try await row in rows { try tally.add(row) }
        return tally
    }
}
