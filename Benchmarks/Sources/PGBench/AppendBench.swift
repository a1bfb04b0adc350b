import Foundation
import NIOCore
import PGWire
import PostgresNIO

/// Benchmark 1: appending events in transactions of `--batch` events, table recreated before
/// each contender, then checked to hold every event.
enum AppendBench {
    static let bench = "append"

    /// One unnest INSERT per batch: six array parameters, one row per element.
    static let unnestInsert = """
        INSERT INTO events (event_id, stream_id, stream_version, event_type, payload, metadata)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::text[], $5::jsonb[], $6::jsonb[])
        """

    struct Contender {
        var key: String
        var name: String
        var library: Library
        var method: String
        var run: (Target, [EventBatch]) async throws -> Cost
    }

    static var contenders: [Contender] {
        [
            Contender(
                key: "pgwire-copy", name: "PGWire binary COPY", library: .pgwire, method: "copy",
                run: CopyContenders.appendCOPY),
            Contender(
                key: "pgwire-pipeline", name: "PGWire pipelined INSERTs", library: .pgwire, method: "pipeline",
                run: pgwirePipelined),
            Contender(
                key: "pgwire-batch", name: "PGWire batch INSERTs (one Sync)", library: .pgwire, method: "batch",
                run: pgwireBatch),
            Contender(
                key: "pgwire-unnest", name: "PGWire unnest INSERT", library: .pgwire, method: "unnest", run: pgwireUnnest),
            Contender(
                key: "nio-unnest", name: "postgres-nio unnest INSERT", library: .postgresNIO, method: "unnest",
                run: nioUnnest),
            Contender(
                key: "nio-copy", name: "postgres-nio text COPY", library: .postgresNIO, method: "copy", run: nioCOPY),
            Contender(
                key: "psycopg-copy", name: "psycopg 3 binary COPY (write_row)", library: .psycopg, method: "copy",
                run: PythonContenders.psycopg),
            Contender(
                key: "asyncpg-copy", name: "asyncpg binary COPY", library: .asyncpg, method: "copy",
                run: PythonContenders.asyncpg),
            // Issue 20's before/after: the CopyData framing PGWire had before (flushes of 256 KiB).
            Contender(
                key: "pgwire-copy-256k", name: "PGWire binary COPY, 256 KiB flushes", library: .pgwire,
                method: "copy-256k", run: { try await CopyContenders.appendCOPY($0, $1, flushThreshold: 256 * 1024) }),
        ]
    }

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        let generationStart = Measure.nanoseconds()
        let batches = EventData.make(events: options.events, streams: options.streams, batchSize: options.batchSize)
        let payloadBytes = batches.reduce(0) { $0 + $1.payloads.reduce(0) { $0 + $1.count } }
        let seconds = String(format: "%.1f", Double(Measure.nanoseconds() - generationStart) / 1e9)
        print(
            "append: generated \(options.events) events in \(batches.count) batches in \(seconds) s "
                + "(payload \(payloadBytes / max(options.events, 1)) bytes on average)")
        try await target.withPGWire { admin in try await run(target, options, report, batches, admin) }
    }

    private static func run(
        _ target: Target, _ options: Options, _ report: Report, _ batches: [EventBatch], _ admin: PGConnection
    ) async throws {
        try await warmUpWAL(admin, options)
        for contender in contenders {
            report.add(await measure(contender, bench: bench, target, options, batches, admin))
        }
        report.add(await ServerCeiling.run(target, admin, options))
        for line in report.copyComparison() { print(line) }
    }

    /// One contender on a recreated table, checked to hold every event afterwards. `bench` is
    /// the report's name for it: the store benchmark runs postgres-nio's contenders too when
    /// this benchmark did not.
    static func measure(
        _ contender: Contender, bench: String, _ target: Target, _ options: Options, _ batches: [EventBatch],
        _ admin: PGConnection
    ) async -> Outcome {
        var outcome = Outcome(
            bench: bench, key: contender.key, name: contender.name, library: contender.library,
            method: contender.method, unit: "events")
        do {
            try await recreateTable(admin)
            outcome.cost = try await contender.run(target, batches)
            let count = try await rowCount(admin)
            outcome.operations = count
            if count != options.events {
                outcome.status = .failed("the table holds \(count) events, not \(options.events)")
            }
        } catch let unavailable as Unavailable {
            outcome.status = .unavailable(unavailable.reason)
        } catch {
            outcome.status = .failed(String(describing: error))
        }
        return outcome
    }

    /// Writes as much WAL as a contender will, untimed, then checkpoints, so that the WAL
    /// segments exist for every contender to recycle. Without it the first contender on a fresh
    /// server creates them (zero-filling 16 MB files, XLogFileInit in a profile of its backend)
    /// and pays about 1 µs of server CPU per event more than the others (issue 20).
    static func warmUpWAL(_ admin: PGConnection, _ options: Options) async throws {
        let start = Measure.nanoseconds()
        try await recreateTable(admin)
        _ = try await admin.simpleQuery(EventData.fillOnServer(events: options.events, streams: options.streams))
        try await recreateTable(admin)
        print(String(format: "append: WAL warmed up in %.1f s (untimed)", Double(Measure.nanoseconds() - start) / 1e9))
    }

    /// Drops and creates the table, and checkpoints so that no contender pays for an earlier
    /// one's dirty pages.
    static func recreateTable(_ admin: PGConnection) async throws {
        _ = try await admin.simpleQuery(EventData.createTable)
        _ = try? await admin.simpleQuery("CHECKPOINT")
    }

    static func rowCount(_ admin: PGConnection) async throws -> Int {
        for try await row in try await admin.query("SELECT count(*) FROM events") {
            return try row.decode(Int.self, at: 0)
        }
        return 0
    }

    // MARK: Contenders that work today

    static func pgwireUnnest(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        try await target.withPGWire { connection in
            try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                for batch in batches {
                    _ = try await connection.withTransaction { connection in
                        try await connection.execute(unnestInsert, [
                            batch.ids, batch.streams, batch.versions, batch.types,
                            batch.payloads.map(PGRawJSON.init(bytes:)), batch.metadata.map(PGRawJSON.init(bytes:)),
                        ])
                    }
                }
            }
        }
    }

    /// One single-row INSERT per event.
    static let insertOne = """
        INSERT INTO events (event_id, stream_id, stream_version, event_type, payload, metadata)
        VALUES ($1, $2, $3, $4, $5, $6)
        """

    /// The batch's events as single-row INSERTs.
    static func inserts(_ batch: EventBatch) throws -> [PGQuery] {
        try (0..<batch.count).map { i in
            try PGQuery(insertOne, [
                batch.ids[i], batch.streams[i], batch.versions[i], batch.types[i],
                PGRawJSON(bytes: batch.payloads[i]), PGRawJSON(bytes: batch.metadata[i]),
            ])
        }
    }

    /// `pipeline(_:)`: every INSERT with its own Sync, all sent before the answers are read,
    /// inside `withTransaction` (BEGIN and COMMIT are two more round trips).
    static func pgwirePipelined(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        try await target.withPGWire { connection in
            try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                for batch in batches {
                    let queries = try inserts(batch)
                    try await connection.withTransaction { connection in
                        for result in try await connection.pipeline(queries) { _ = try result.get() }
                    }
                }
            }
        }
    }

    /// `batch(_:)`: the INSERTs with one Sync at the end, which makes them one implicit
    /// transaction (no BEGIN or COMMIT): one round trip per batch.
    static func pgwireBatch(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        try await target.withPGWire { connection in
            try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                for batch in batches {
                    _ = try await connection.batch(try inserts(batch))
                }
            }
        }
    }

    static func nioUnnest(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        let logger = Target.nioLogger
        return try await target.withNIO { connection in
            try await Measure.run(serverPIDs: [try await connection.backendPID()]) {
                for batch in batches {
                    var bindings = PostgresBindings(capacity: 6)
                    bindings.append(batch.ids)
                    bindings.append(batch.streams)
                    bindings.append(batch.versions)
                    bindings.append(batch.types)
                    bindings.append(batch.payloads.map(NIORawJSONB.init(bytes:)))
                    bindings.append(batch.metadata.map(NIORawJSONB.init(bytes:)))
                    let query = PostgresQuery(unsafeSQL: unnestInsert, binds: bindings)
                    try await connection.withTransaction(logger: logger) { connection in
                        _ = try await connection.query(query, logger: logger)
                    }
                }
            }
        }
    }

    /// postgres-nio 1.33.2 has `copyFrom(table:columns:format:logger:writeData:)`, text format
    /// only: each batch is formatted into one buffer and sent with one `write`.
    static func nioCOPY(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        let logger = Target.nioLogger
        let allocator = ByteBufferAllocator()
        return try await target.withNIO { connection in
            try await Measure.run(serverPIDs: [try await connection.backendPID()]) {
                for batch in batches {
                    try await connection.withTransaction(logger: logger) { connection in
                        try await connection.copyFrom(table: "events", columns: EventData.columns, logger: logger) { writer in
                            var buffer = allocator.buffer(capacity: 280 * batch.count)
                            for i in 0..<batch.count { COPYText.appendRow(batch, i, to: &buffer) }
                            try await writer.write(buffer)
                        }
                    }
                }
            }
        }
    }
}

/// Thrown by a contender whose API does not exist in this build.
struct Unavailable: Error {
    let reason: String
}
