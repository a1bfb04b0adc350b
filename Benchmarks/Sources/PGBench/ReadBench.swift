import Foundation
import PGWire
import PostgresNIO

/// Benchmark 4: every row of the events table streamed to the client, every column decoded
/// to a Swift value (Int, UUID, String, Int, String, raw JSON bytes ×2, Date).
enum ReadBench {
    static let bench = "read"
    /// All columns in table order, which is also `COPY events TO STDOUT`'s order.
    static let select = """
        SELECT global_position, event_id, stream_id, stream_version, event_type, payload, metadata, created_at FROM events
        """

    /// What each contender computes, so that all of them provably decoded the same rows.
    struct Tally: Equatable {
        var count = 0
        var checksum = 0

        mutating func add(_ row: PGRow) throws {
            let position = try row.decode(Int.self, at: 0)
            let id = try row.decode(UUID.self, at: 1)
            let stream = try row.decode(String.self, at: 2)
            let version = try row.decode(Int.self, at: 3)
            let type = try row.decode(String.self, at: 4)
            let payload = try row.decode(PGRawJSON.self, at: 5)
            let metadata = try row.decode(PGRawJSON.self, at: 6)
            let created = try row.decode(Date.self, at: 7)
            add(position, id, stream, version, type, payload.bytes, metadata.bytes, created)
        }

        mutating func add(
            _ position: Int, _ id: UUID, _ stream: String, _ version: Int, _ type: String, _ payload: [UInt8],
            _ metadata: [UInt8], _ created: Date
        ) {
            count += 1
            checksum &+= position &+ version &+ stream.utf8.count &+ type.utf8.count &+ payload.count &+ metadata.count
            checksum &+= Int(id.uuid.0) &+ (created.timeIntervalSince1970 > 0 ? 1 : 0)
        }
    }

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        let rows = try await prepareTable(target, options)
        var expected: Tally?
        let contenders: [(String, String, Library, String, (Target) async throws -> (Cost, Tally))] = [
            ("pgwire-query", "PGWire query", .pgwire, "query", pgwireQuery),
            ("pgwire-copy-out", "PGWire binary COPY TO", .pgwire, "copy", pgwireCOPY),
            ("nio-query", "postgres-nio query", .postgresNIO, "query", nioQuery),
        ]
        for (key, name, library, method, run) in contenders where options.runs(key) {
            var outcome = Outcome(bench: bench, key: key, name: name, library: library, method: method, unit: "rows")
            do {
                let (cost, tally) = try await run(target)
                outcome.recordRead(cost, tally, rows: rows, expected: &expected)
            } catch let unavailable as Unavailable {
                outcome.status = .unavailable(unavailable.reason)
            } catch {
                outcome.status = .failed(String(describing: error))
            }
            report.add(outcome)
        }
    }

    /// Fills the events table on the server unless it holds `--events` rows (the append
    /// benchmark's), vacuums it, and returns its row count.
    static func prepareTable(_ target: Target, _ options: Options) async throws -> Int {
        try await target.withPGWire { admin in
            // No table yet (a fresh server, `--only read`) counts as the wrong number of rows.
            if (try? await AppendBench.rowCount(admin)) != options.events {
                print("read: filling the events table with \(options.events) rows on the server")
                try await AppendBench.recreateTable(admin)
                _ = try await admin.simpleQuery(EventData.fillOnServer(events: options.events, streams: options.streams))
            }
            // Sets hint bits and the visibility map, so that no reader pays for writing them.
            _ = try await admin.simpleQuery("VACUUM ANALYZE events")
            return try await AppendBench.rowCount(admin)
        }
    }

    static func pgwireQuery(_ target: Target) async throws -> (Cost, Tally) {
        try await target.withPGWire { connection in
            var tally = Tally()
            let cost = try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                for try await row in try await connection.query(PGQuery(select)) { try tally.add(row) }
            }
            return (cost, tally)
        }
    }

    static func pgwireCOPY(_ target: Target) async throws -> (Cost, Tally) {
        try await target.withPGWire { connection in
            var tally = Tally()
            let cost = try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                tally = try await CopyContenders.readCOPY(connection)
            }
            return (cost, tally)
        }
    }

    static func nioQuery(_ target: Target) async throws -> (Cost, Tally) {
        try await target.withNIO { connection in
            var tally = Tally()
            let pid = try await connection.backendPID()
            let cost = try await Measure.run(serverPIDs: [pid]) {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: select), logger: Target.nioLogger)
                for try await row in rows {
                    let (position, id, stream, version, type, payload, metadata, created) = try row.decode(
                        (Int, UUID, String, Int, String, NIORawJSONB, NIORawJSONB, Date).self)
                    tally.add(position, id, stream, version, type, payload.bytes, metadata.bytes, created)
                }
            }
            return (cost, tally)
        }
    }
}
