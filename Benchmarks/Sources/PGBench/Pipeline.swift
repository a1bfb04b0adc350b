import Foundation
import PGWire
import PostgresNIO

/// Benchmark 3: many `SELECT $1::int` in flight on one connection, `--depth` at a time.
enum Pipeline {
    static let bench = "pipeline"

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        let queries = options.pipelineQueries
        let depth = options.depth
        let contenders: [(String, String, Library, String, String?, (Target) async throws -> Cost)] = [
            ("pgwire-pipeline", "PGWire pipeline", .pgwire, "pipeline", "pipeline(_:): \(depth) statements per call, one Sync each (each fails alone)", { target in
                try await target.withPGWire { connection in
                    try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                        try await pipelined(connection, queries: queries, depth: depth, batch: false)
                    }
                }
            }),
            ("pgwire-batch", "PGWire batch", .pgwire, "batch", "batch(_:): \(depth) statements per call, one Sync for all (the wire shape of pgbench's \\startpipeline ... \\endpipeline)", { target in
                try await target.withPGWire { connection in
                    try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                        try await pipelined(connection, queries: queries, depth: depth, batch: true)
                    }
                }
            }),
            ("pgwire-tasks", "PGWire concurrent tasks", .pgwire, "tasks",
             "\(depth) tasks each await query() on the one shared connection", { target in
                try await target.withPGWire { connection in
                    try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                        try await window(queries: queries, depth: depth) { value in
                            var result: Int32?
                            for try await row in try await connection.query("SELECT $1::int", [value]) {
                                result = try row.decode(Int32.self, at: 0)
                            }
                            try RoundTrip.check(result, value)
                        }
                    }
                }
            }),
            ("nio-tasks", "postgres-nio concurrent tasks", .postgresNIO, "tasks",
             "\(depth) tasks share the connection; postgres-nio queues them and sends each after the previous one's ReadyForQuery (no wire pipelining)", { target in
                try await target.withNIO { connection in
                    try await Measure.run(serverPIDs: [try await connection.backendPID()]) {
                        try await window(queries: queries, depth: depth) { value in
                            var result: Int32?
                            let rows = try await connection.query("SELECT \(value)::int", logger: Target.nioLogger)
                            for try await decoded in rows.decode(Int32.self) { result = decoded }
                            try RoundTrip.check(result, value)
                        }
                    }
                }
            }),
        ]
        for (key, name, library, method, note, run) in contenders where options.runs(key) {
            var outcome = Outcome(bench: bench, key: key, name: name, library: library, method: method, unit: "queries")
            outcome.note = note
            do {
                outcome.cost = try await run(target)
                outcome.operations = queries
            } catch let unavailable as Unavailable {
                outcome.status = .unavailable(unavailable.reason)
            } catch {
                outcome.status = .failed(String(describing: error))
            }
            report.add(outcome)
        }
        for mode in ["prepared", "extended"] where options.runs("pgbench-pipeline-\(mode)") {
            report.add(libpq(target, options, mode: mode))
        }
    }

    /// `pipeline(_:)` (each statement with its own Sync) or `batch(_:)` (one Sync) with `depth`
    /// statements at a time; every value checked.
    static func pipelined(_ connection: PGConnection, queries: Int, depth: Int, batch: Bool) async throws {
        var done = 0
        while done < queries {
            let values = done..<min(done + depth, queries)
            let statements = try values.map { try PGQuery("SELECT $1::int", [Int32(truncatingIfNeeded: $0)]) }
            let results = batch
                ? try await connection.batch(statements).map { Result<PGQueryResult, PGError>.success($0) }
                : try await connection.pipeline(statements)
            for (value, result) in zip(values, results) {
                try RoundTrip.check(try result.get().rows.first?.decode(Int32.self, at: 0), Int32(truncatingIfNeeded: value))
            }
            done = values.upperBound
        }
    }

    /// Runs `query(0)` ... `query(queries - 1)` in a task group, `depth` at a time.
    static func window(
        queries: Int, depth: Int, _ query: @escaping @Sendable (Int32) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(depth, queries) {
                let value = Int32(truncatingIfNeeded: next)
                group.addTask { try await query(value) }
                next += 1
            }
            while try await group.next() != nil {
                guard next < queries else { continue }
                let value = Int32(truncatingIfNeeded: next)
                group.addTask { try await query(value) }
                next += 1
            }
        }
    }

    /// pgbench's own pipeline: `\startpipeline`, `depth` statements, `\endpipeline` per
    /// transaction (one Sync for them all), with prepared statements (method "batch", PGWire
    /// batch's like) or the unnamed statement (`-M extended`: Parse and Describe every time).
    static func libpq(_ target: Target, _ options: Options, mode: String) -> Outcome {
        var outcome = Outcome(
            bench: bench, key: "pgbench-pipeline-\(mode)", name: "libpq (pgbench pipeline -M \(mode))", library: .libpq,
            method: mode == "prepared" ? "batch" : "batch-unnamed", unit: "queries")
        let transactions = max(1, options.pipelineQueries / options.depth)
        let script = "\\set x 1\n\\startpipeline\n" + String(repeating: "SELECT :x::int;\n", count: options.depth) + "\\endpipeline\n"
        do {
            let run = try Pgbench.run(target, script: script, mode: mode, transactions: transactions)
            outcome.operations = transactions * options.depth
            outcome.cost = Cost(wall: Double(transactions) / run.tps, clientCPU: run.clientCPU, serverCPU: nil)
            outcome.note = "\(transactions) pipelines of \(options.depth) statements (-M \(mode)), one Sync per pipeline; wall = transactions ÷ pgbench's tps"
        } catch {
            outcome.status = .unavailable(String(describing: error))
        }
        return outcome
    }
}
