import Foundation
@_spi(Benchmarks) import PGWire
import PostgresNIO

/// Benchmark 7: pool throughput. `--pool-tasks` tasks (64) share one pool of
/// `--pool-connections` connections (8) and run `--pool-queries` `SELECT $1::int` (200,000)
/// between them, each task its share one query after the other through the pool's per-query
/// API, every result decoded and checked. PGWire's `PGPool` (with its default `readSpin`, and
/// with none) against postgres-nio's `PostgresClient` (query and prepared statement); the
/// latency of a query includes its wait for a free connection.
enum PoolBench {
    static let bench = "pool"
    /// Untimed queries first, spread over the same tasks: they open every connection (whose
    /// backends are then found) and prepare the statement on each.
    static let warmUp = 2_000

    /// One query through the pool: sends `value`, returns what the single row decoded to (nil
    /// for no row or more than one).
    typealias Query = @Sendable (Int32) async throws -> Int32?

    /// A contender: opens its pool with connections named `name` (application_name), runs
    /// `measure` with its query, and closes the pool.
    typealias Contender = (Target, _ connections: Int, _ name: String, _ measure: (@escaping Query) async throws -> (Cost, Run))
        async throws -> (Cost, Run)

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        let contenders: [(String, String, Library, String, Contender)] = [
            ("pgwire-pool", "PGWire PGPool", .pgwire, "query", { try await pgwirePool($0, $1, $2, $3) }),
            // The pool's defaults one at a time the other way (see README.md): connections
            // that do not yield after a send, and connections that spin 500 µs in ppoll
            // before suspending (the standalone connection's default).
            ("pgwire-pool-noyield", "PGWire PGPool, no yield after send", .pgwire, "query", { try await pgwirePool($0, $1, $2, $3, yieldAfterSend: false) }),
            ("pgwire-pool-spin", "PGWire PGPool, readSpin 500 µs", .pgwire, "query", { try await pgwirePool($0, $1, $2, $3, readSpin: .microseconds(500)) }),
            ("nio-pool-query", "postgres-nio PostgresClient query", .postgresNIO, "query", { try await nioClient($0, $1, $2, $3, prepared: false) }),
            ("nio-pool-prepared", "postgres-nio PostgresClient prepared", .postgresNIO, "prepared", { try await nioClient($0, $1, $2, $3, prepared: true) }),
        ]
        let tasks = options.poolTasks
        // Fewer tasks than connections cannot keep more connections than tasks busy.
        let connections = min(options.poolConnections, tasks)
        let count = options.poolQueries
        try await target.withPGWire { admin in
            for (key, name, library, method, contender) in contenders where options.runs(key) {
                var outcome = Outcome(bench: bench, key: key, name: name, library: library, method: method, unit: "queries")
                // Unique to this run and contender, so that no other session is counted.
                let applicationName = "pgbench-\(key)-\(getpid())"
                do {
                    let (cost, run) = try await contender(target, connections, applicationName) { query in
                        try await measure(admin, applicationName, tasks: tasks, connections: connections, count: count, query)
                    }
                    let latencies = run.nanoseconds.map { Double($0) / 1000 }.sorted()
                    outcome.cost = cost
                    outcome.operations = count
                    outcome.p50 = Measure.quantile(latencies, 0.5)
                    outcome.p99 = Measure.quantile(latencies, 0.99)
                    outcome.mean = latencies.reduce(0, +) / Double(latencies.count)
                    outcome.note = note(library, tasks: tasks, connections: connections, cost: cost, run: run, latencies: latencies)
                    outcome.extra = [("client_us_per_query", cost.clientCPU / Double(count) * 1e6)]
                } catch {
                    outcome.status = .failed(String(describing: error))
                }
                report.add(outcome)
            }
        }
        if options.runs(libpqKey(connections)) { report.add(libpq(target, connections: connections, count: count)) }
    }

    static func libpqThreads(_ connections: Int) -> Int { min(2, connections) }
    static func libpqKey(_ connections: Int) -> String { "pgbench-c\(connections)-j\(libpqThreads(connections))" }

    /// pgbench with as many connections as the pools have, on two threads (`-c 8 -j 2 -M
    /// prepared`), `SELECT :x::int` as a named prepared statement: libpq with no pool at all,
    /// each thread multiplexing its connections with `poll`. The client CPU is pgbench's process
    /// (`RUSAGE_CHILDREN`), connecting included.
    static func libpq(_ target: Target, connections: Int, count: Int) -> Outcome {
        let threads = libpqThreads(connections)
        var outcome = Outcome(
            bench: bench, key: libpqKey(connections),
            name: "libpq (pgbench -c \(connections) -j \(threads) -M prepared)", library: .libpq, method: "prepared",
            unit: "queries")
        do {
            let run = try Pgbench.run(
                target, script: "\\set x 1\nSELECT :x::int;\n", mode: "prepared", transactions: count, clients: connections,
                threads: threads)
            let done = run.latencies.count
            outcome.operations = done
            outcome.cost = Cost(wall: Double(done) / run.tps, clientCPU: run.clientCPU, serverCPU: nil)
            outcome.p50 = Measure.quantile(run.latencies, 0.5)
            outcome.p99 = Measure.quantile(run.latencies, 0.99)
            outcome.extra = [("client_us_per_query", run.clientCPU / Double(max(done, 1)) * 1e6)]
            outcome.note =
                "no pool: \(connections) connections, \(count / connections) queries each, on \(threads) threads; wall = queries ÷ "
                + "pgbench's tps (without connection time); p50/p99 from its --log, whole µs; client s includes process start and connect"
        } catch {
            outcome.status = .unavailable(String(describing: error))
        }
        return outcome
    }

    /// How the run went, for the summary: how many queries were in flight on average (Little's
    /// law: the latencies' sum ÷ the wall time; the task count means every task was inside a
    /// call all the time) and how evenly the tasks ran. The method is in README.md.
    static func note(_ library: Library, tasks: Int, connections: Int, cost: Cost, run: Run, latencies: [Double]) -> String {
        let inFlight = latencies.reduce(0, +) / 1e6 / cost.wall
        func seconds(_ nanoseconds: UInt64) -> String { String(format: "%.2f", Double(nanoseconds) / 1e9) }
        return "\(tasks) tasks, \(connections) connections, \(warmUp) queries untimed first; mean in flight "
            + String(format: "%.1f", inFlight) + " (Σ latency ÷ wall); the last task began at \(seconds(run.lastBegan)) s, "
            + "the first was done at \(seconds(run.firstDone)) s of " + String(format: "%.2f", cost.wall) + " s"
            + (library == .pgwire ? "; ÷nio = this row's throughput ÷ the better PostgresClient row's (target ≥ 2)" : "")
    }

    /// What `drive` saw: every query's nanoseconds, and how evenly the tasks ran.
    struct Run {
        var nanoseconds: [UInt64] = []
        /// Nanoseconds after the start until the last task began its first query: with tasks
        /// that never suspend, most of them begin only when others have finished.
        var lastBegan: UInt64 = 0
        /// Nanoseconds after the start until the first task had run all its queries.
        var firstDone: UInt64 = .max
    }

    /// Warms the pool up, finds its backends, times `count` queries and checks that the same
    /// backends served them all; returns the cost and the timed run.
    static func measure(
        _ admin: PGConnection, _ name: String, tasks: Int, connections: Int, count: Int, _ query: @escaping Query
    ) async throws -> (Cost, Run) {
        _ = try await drive(tasks: tasks, values: 0..<warmUp, query)
        let pids = try await BenchStore.serverPIDs(admin, name: name)
        guard pids.count == connections else {
            throw BenchError("after the warm-up \(pids.count) connections are open, expected \(connections)")
        }
        var run = Run()
        let cost = try await Measure.run(serverPIDs: pids) {
            run = try await drive(tasks: tasks, values: warmUp..<(warmUp + count), query)
        }
        // A connection replaced during the run would be missing from the server CPU column.
        let after = try await BenchStore.serverPIDs(admin, name: name)
        guard after == pids else { throw BenchError("the pool's backends changed during the run: \(pids) → \(after)") }
        return (cost, run)
    }

    /// Splits `values` into `tasks` contiguous shares (sizes differing by at most one) and runs
    /// them in a task group, each share's queries one after the other. A wrong value fails the run.
    static func drive(tasks: Int, values: Range<Int>, _ query: @escaping Query) async throws -> Run {
        let start = Measure.nanoseconds()
        return try await withThrowingTaskGroup(of: (nanoseconds: [UInt64], began: UInt64, done: UInt64).self) { group in
            let (share, extra) = values.count.quotientAndRemainder(dividingBy: tasks)
            var lower = values.lowerBound
            for task in 0..<tasks {
                let mine = lower..<(lower + share + (task < extra ? 1 : 0))
                lower = mine.upperBound
                group.addTask {
                    let began = Measure.nanoseconds() - start
                    var nanoseconds: [UInt64] = []
                    nanoseconds.reserveCapacity(mine.count)
                    for i in mine {
                        let value = Int32(truncatingIfNeeded: i)
                        let start = Measure.nanoseconds()
                        let result = try await query(value)
                        nanoseconds.append(Measure.nanoseconds() - start)
                        try RoundTrip.check(result, value)
                    }
                    return (nanoseconds, began, Measure.nanoseconds() - start)
                }
            }
            var run = Run()
            run.nanoseconds.reserveCapacity(values.count)
            for try await task in group {
                run.nanoseconds += task.nanoseconds
                run.lastBegan = max(run.lastBegan, task.began)
                run.firstDone = min(run.firstDone, task.done)
            }
            return run
        }
    }

    /// PGWire: `PGPool` with the target's connection settings, `maximumConnections` and
    /// otherwise the defaults (connections open on demand, which the warm-up makes); the
    /// natural per-query call, `pool.query(sql, values)`, which collects the rows. Its
    /// statement cache prepares the statement once per connection. `readSpin` and
    /// `yieldAfterSend` replace the pool's defaults (zero, true) when given.
    static func pgwirePool(
        _ target: Target, _ connections: Int, _ name: String, _ measure: (@escaping Query) async throws -> (Cost, Run),
        readSpin: Duration? = nil, yieldAfterSend: Bool? = nil
    ) async throws -> (Cost, Run) {
        var connection = target.pgwire
        connection.applicationName = name
        var configuration = PGPool.Configuration(connection: connection, maximumConnections: connections)
        if let readSpin { configuration.readSpin = readSpin }
        if let yieldAfterSend { configuration.yieldAfterSend = yieldAfterSend }
        let pool = PGPool(configuration: configuration)
        do {
            let result = try await measure { value in
                let rows = try await pool.query("SELECT $1::int", [value]).rows
                return rows.count == 1 ? try rows[0].decode(Int32.self, at: 0) : nil
            }
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    /// postgres-nio: `PostgresClient` with `minimumConnections` = `maximumConnections`, its
    /// `run()` in a task of the group; `client.query` with the value interpolated as a bind
    /// (the unnamed statement every time) or `client.execute` of a `PostgresPreparedStatement`
    /// (prepared once per connection).
    static func nioClient(
        _ target: Target, _ connections: Int, _ name: String, _ measure: (@escaping Query) async throws -> (Cost, Run),
        prepared: Bool
    ) async throws -> (Cost, Run) {
        let client = PostgresClient(configuration: clientConfiguration(target, connections: connections, name: name))
        return try await withThrowingTaskGroup(of: Void.self, returning: (Cost, Run).self) { group in
            group.addTask { await client.run() }
            do {
                let result = try await measure { value in
                    var result: Int32?
                    var rows = 0
                    if prepared {
                        for try await decoded in try await client.execute(NIOSelectInt(value: value)) {
                            result = decoded
                            rows += 1
                        }
                    } else {
                        for try await decoded in try await client.query("SELECT \(value)::int").decode(Int32.self) {
                            result = decoded
                            rows += 1
                        }
                    }
                    return rows == 1 ? result : nil
                }
                // Cancelling run() closes the client.
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// The target's postgres-nio connection settings as a `PostgresClient` configuration, its
    /// connections named `name`; the minimum equal to the maximum, so that all are open early.
    static func clientConfiguration(_ target: Target, connections: Int, name: String) -> PostgresClient.Configuration {
        let nio = target.nio
        var configuration: PostgresClient.Configuration
        if let path = nio.unixSocketPath {
            configuration = .init(unixSocketPath: path, username: nio.username, password: nio.password, database: nio.database)
        } else {
            configuration = .init(
                host: nio.host ?? "localhost", port: nio.port ?? 5432, username: nio.username, password: nio.password,
                database: nio.database, tls: .disable)
        }
        configuration.options.minimumConnections = connections
        configuration.options.maximumConnections = connections
        configuration.options.connectTimeout = .seconds(30)
        configuration.options.additionalStartupParameters = [("application_name", name)]
        return configuration
    }
}

/// The pool benchmark's ratios: each PGPool row's throughput ÷ the better of postgres-nio's two
/// rows and ÷ pgbench's (libpq without a pool, goal ≥ 0.8), and its client CPU per query ÷
/// pgbench's (goal ≤ 1.5).
extension Report {
    static let poolRatioLabels = ["client_cpu_ratio_to_libpq": "cpu÷libpq"]

    func poolRatios(_ outcome: Outcome) -> [(String, Double)] {
        guard outcome.library == .pgwire, let rate = outcome.rate else { return [] }
        let peers = outcomes.filter { $0.bench == PoolBench.bench && $0.rate != nil }
        var result: [(String, Double)] = []
        if let nio = peers.filter({ $0.library == .postgresNIO }).compactMap(\.rate).max() {
            result.append(("ratio_to_postgres_nio", rate / nio))
        }
        if let libpq = peers.first(where: { $0.library == .libpq }), let libpqRate = libpq.rate {
            result.append(("ratio_to_libpq", rate / libpqRate))
            let perQuery = outcome.cost.clientCPU / Double(outcome.operations)
            let libpqPerQuery = libpq.cost.clientCPU / Double(libpq.operations)
            if libpqPerQuery > 0 { result.append(("client_cpu_ratio_to_libpq", perQuery / libpqPerQuery)) }
        }
        return result
    }
}
