import Foundation
@_spi(Benchmarks) import PGWire
import PostgresNIO

/// Benchmark 2: `SELECT $1::int` one at a time on one connection, each result decoded and
/// checked; the latency of every query is recorded.
enum RoundTrip {
    static let bench = "roundtrip"
    static let warmUp = 1_000

    typealias Run = (Target, Int) async throws -> (Cost, [Double])

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        let contenders: [(String, String, Library, String, Run)] = [
            ("pgwire-query", "PGWire query (statement cache)", .pgwire, "prepared", { try await pgwireQuery($0, $1, cache: true) }),
            // As a pooled connection reads by default: no spin, every answer awaited in the poller.
            ("pgwire-query-nospin", "PGWire query, readSpin 0", .pgwire, "prepared", { try await pgwireQuery($0, $1, cache: true, readSpin: .zero) }),
            ("pgwire-query-uncached", "PGWire query, cache off", .pgwire, "query", { try await pgwireQuery($0, $1, cache: false) }),
            ("pgwire-prepared", "PGWire prepared statement", .pgwire, "prepared", pgwirePrepared),
            ("nio-query", "postgres-nio query", .postgresNIO, "query", nioQuery),
            ("nio-prepared", "postgres-nio prepared statement", .postgresNIO, "prepared", nioPrepared),
        ] + options.readSpins.map { microseconds in
            (
                "pgwire-query-spin-\(microseconds)", "PGWire query, readSpin \(microseconds) µs", .pgwire, "prepared",
                { try await pgwireQuery($0, $1, cache: true, readSpin: .microseconds(microseconds)) }
            )
        }
        for (key, name, library, method, run) in contenders where options.runs(key) {
            var outcome = Outcome(bench: bench, key: key, name: name, library: library, method: method, unit: "queries")
            do {
                let (cost, latencies) = try await run(target, options.queries)
                outcome.record(cost, operations: options.queries, latencies: latencies)
            } catch {
                outcome.status = .failed(String(describing: error))
            }
            report.add(outcome)
        }
        for mode in ["extended", "prepared"] where options.runs("pgbench-\(mode)") {
            report.add(libpq(target, options, mode: mode))
        }
    }

    /// Times `query` `count` times after a warm-up; returns the cost and the sorted latencies in µs.
    static func timed(serverPIDs: [Int32], _ count: Int, _ query: (Int32) async throws -> Void) async throws -> (Cost, [Double]) {
        for i in 0..<warmUp { try await query(Int32(i)) }
        var nanoseconds = [UInt64](repeating: 0, count: count)
        let cost = try await Measure.run(serverPIDs: serverPIDs) {
            for i in 0..<count {
                let start = Measure.nanoseconds()
                try await query(Int32(truncatingIfNeeded: i))
                nanoseconds[i] = Measure.nanoseconds() - start
            }
        }
        return (cost, nanoseconds.map { Double($0) / 1000 }.sorted())
    }

    static func check(_ value: Int32?, _ expected: Int32) throws {
        guard value == expected else { throw BenchError("SELECT \(expected) returned \(value.map(String.init) ?? "no row")") }
    }

    /// `query` with its statement cache (the default: a named statement parsed once, then only
    /// Bind and Execute) or without (the unnamed statement parsed every time).
    static func pgwireQuery(
        _ target: Target, _ count: Int, cache: Bool, readSpin: Duration? = nil
    ) async throws -> (Cost, [Double]) {
        try await target.withPGWire(statementCache: cache, readSpin: readSpin) { connection in
            try await timed(serverPIDs: [connection.processID].compactMap { $0 }, count) { value in
                var result: Int32?
                for try await row in try await connection.query("SELECT $1::int", [value]) {
                    result = try row.decode(Int32.self, at: 0)
                }
                try check(result, value)
            }
        }
    }

    static func pgwirePrepared(_ target: Target, _ count: Int) async throws -> (Cost, [Double]) {
        try await target.withPGWire { connection in
            let statement = try await connection.prepare("SELECT $1::int")
            return try await timed(serverPIDs: [connection.processID].compactMap { $0 }, count) { value in
                var result: Int32?
                for try await row in try await statement.query([value]) { result = try row.decode(Int32.self, at: 0) }
                try check(result, value)
            }
        }
    }

    static func nioQuery(_ target: Target, _ count: Int) async throws -> (Cost, [Double]) {
        try await target.withNIO { connection in
            try await timed(serverPIDs: [try await connection.backendPID()], count) { value in
                var result: Int32?
                let rows = try await connection.query("SELECT \(value)::int", logger: Target.nioLogger)
                for try await decoded in rows.decode(Int32.self) { result = decoded }
                try check(result, value)
            }
        }
    }

    static func nioPrepared(_ target: Target, _ count: Int) async throws -> (Cost, [Double]) {
        try await target.withNIO { connection in
            try await timed(serverPIDs: [try await connection.backendPID()], count) { value in
                var result: Int32?
                for try await decoded in try await connection.execute(NIOSelectInt(value: value), logger: Target.nioLogger) {
                    result = decoded
                }
                try check(result, value)
            }
        }
    }

    /// pgbench with the unnamed statement (`-M extended`: Parse, Bind, Execute each time, like
    /// `query`) and with a named prepared statement (`-M prepared`); latencies are its
    /// per-transaction log (one transaction = one query here).
    static func libpq(_ target: Target, _ options: Options, mode: String) -> Outcome {
        let method = mode == "prepared" ? "prepared" : "query"
        var outcome = Outcome(
            bench: bench, key: "pgbench-\(mode)", name: "libpq (pgbench -M \(mode))", library: .libpq, method: method,
            unit: "queries")
        do {
            let run = try Pgbench.run(
                target, script: "\\set x 1\nSELECT :x::int;\n", mode: mode, transactions: options.queries)
            outcome.operations = options.queries
            outcome.cost = Cost(wall: Double(options.queries) / run.tps, clientCPU: run.clientCPU, serverCPU: nil)
            outcome.p50 = Measure.quantile(run.latencies, 0.5)
            outcome.p99 = Measure.quantile(run.latencies, 0.99)
            outcome.note =
                "wall = queries ÷ pgbench's tps (without connection time); p50/p99 from its --log, whole µs; "
                + "client s includes process start and connect"
        } catch {
            outcome.status = .unavailable(String(describing: error))
        }
        return outcome
    }
}
