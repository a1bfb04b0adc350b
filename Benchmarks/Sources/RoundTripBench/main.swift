// Sequential `SELECT 1` round trips on one connection: PGWire's simple query against libpq's,
// measured with pgbench on the same private server in the same run, rounds interleaved so that
// noise on this shared machine hits both alike.
//
//   swift run -c release RoundTripBench [--queries N] [--rounds R] [--pgwire-only [--extended | --pipeline | --batch]]
import Foundation
import PGTestServer
import PGWire

struct Options {
    var queries = 20_000
    var rounds = 5
    /// Skips pgbench (for profiling PGWire alone, e.g. under callgrind).
    var pgwireOnly = false
    /// PGWire runs `SELECT $1::int` through the extended protocol (statement cache) instead.
    var extended = false
    /// PGWire runs `SELECT $1::int` in `pipeline(_:)` calls of 100 statements instead.
    var pipeline = false
    /// ... or in `batch(_:)` calls of 100 statements (one Sync each).
    var batch = false
    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--queries": queries = Int(iterator.next() ?? "") ?? queries
            case "--rounds": rounds = Int(iterator.next() ?? "") ?? rounds
            case "--pgwire-only": pgwireOnly = true
            case "--extended": extended = true
            case "--pipeline": pipeline = true
            case "--batch": batch = true
            default: FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8)); exit(2)
            }
        }
    }
}

struct Measurement {
    let name: String
    let microsecondsPerQuery: Double
    /// Client CPU time (user + system) per query.
    let cpuMicrosecondsPerQuery: Double
    var queriesPerSecond: Double { 1_000_000 / microsecondsPerQuery }
}

/// User + system CPU seconds of this process (`RUSAGE_SELF`) or of its reaped children.
func cpuSeconds(_ who: __rusage_who) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// User CPU seconds of this process.
func userSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
}

func ours(server: TestServer, host: String, queries: Int) async throws -> Measurement {
    let configuration = PGConnection.Configuration(host: host, port: server.port, user: server.superuser, database: server.database)
    let connection = try await PGConnection.connect(configuration)
    defer { Task { await connection.close() } }
    for _ in 0..<1000 { _ = try await connection.simpleQuery("SELECT 1") }
    let clock = ContinuousClock()
    let cpuBefore = cpuSeconds(RUSAGE_SELF)
    let userBefore = userSeconds()
    let elapsed = try await clock.measure {
        for index in 0..<queries {
            if options.pipeline || options.batch {
                guard index % 100 == 0 else { continue }
                let statements = try (index..<index + 100).map { try PGQuery("SELECT $1::int", [Int32(truncatingIfNeeded: $0)]) }
                let last = options.batch
                    ? try await connection.batch(statements)[99]
                    : try await connection.pipeline(statements)[99].get()
                precondition(last.rows.count == 1)
            } else if options.extended {
                let rows = try await connection.query("SELECT \(Int32(truncatingIfNeeded: index))::int").collect()
                precondition(rows.count == 1)
            } else {
                let results = try await connection.simpleQuery("SELECT 1")
                precondition(results[0].rows.count == 1)
            }
        }
    }
    let cpu = cpuSeconds(RUSAGE_SELF) - cpuBefore
    let user = userSeconds() - userBefore
    if options.pgwireOnly {
        print(String(format: "  client CPU per query: user %.2f µs, system %.2f µs", user * 1e6 / Double(queries), (cpu - user) * 1e6 / Double(queries)))
    }
    await connection.close()
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Measurement(name: "PGWire simpleQuery (\(host.hasPrefix("/") ? "unix" : "tcp"))", microsecondsPerQuery: seconds * 1e6 / Double(queries), cpuMicrosecondsPerQuery: cpu * 1e6 / Double(queries))
}

func libpq(server: TestServer, host: String, queries: Int) throws -> Measurement {
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("select1-\(getpid()).sql")
    try "SELECT 1;\n".write(to: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: script) }
    let bin = try TestServer.findBinaries()
    let command = [
        bin.appendingPathComponent("pgbench").path,
        "-n", "-M", "simple", "-c", "1", "-t", String(queries), "-f", script.path,
        "-h", host, "-p", String(server.port), "-U", server.superuser, server.database,
    ]
    let cpuBefore = cpuSeconds(RUSAGE_CHILDREN)
    let process = try ChildProcess(command, stderr: .null)
    process.waitForExit()  // reaps it, so RUSAGE_CHILDREN counts it
    let output = String(decoding: process.standardOutput, as: UTF8.self)
    // pgbench's CPU includes its connection set-up, a few hundred microseconds in all.
    let cpu = cpuSeconds(RUSAGE_CHILDREN) - cpuBefore
    // "tps = 52345.123456 (without initial connection time)": finer than "latency average",
    // which pgbench prints in whole microseconds.
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
        let tps = line.split(separator: " ").dropFirst(2).first.flatMap({ Double($0) })
    else {
        throw NSError(domain: "pgbench", code: 1, userInfo: [NSLocalizedDescriptionKey: "unexpected pgbench output:\n\(output)"])
    }
    return Measurement(name: "libpq via pgbench (\(host.hasPrefix("/") ? "unix" : "tcp"))", microsecondsPerQuery: 1_000_000 / tps, cpuMicrosecondsPerQuery: cpu * 1e6 / Double(queries))
}

nonisolated(unsafe) let options = Options(arguments: CommandLine.arguments)
let server = try TestServer.start()
defer { try? server.stop() }

var results: [String: [Measurement]] = [:]
for round in 1...options.rounds {
    for host in [server.host, server.socketDirectory] {
        let a = try await ours(server: server, host: host, queries: options.queries)
        if options.pgwireOnly {
            print(String(format: "round %d  %-32@ %8.2f µs/query", round, a.name as NSString, a.microsecondsPerQuery))
            continue
        }
        let b = try libpq(server: server, host: host, queries: options.queries)
        for m in [a, b] {
            results[m.name, default: []].append(m)
            print(String(format: "round %d  %-32@ %8.2f µs/query  %9.0f queries/s  client CPU %6.2f µs/query", round, m.name as NSString, m.microsecondsPerQuery, m.queriesPerSecond, m.cpuMicrosecondsPerQuery))
        }
    }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
if options.pgwireOnly { exit(0) }
print("\nmedian of \(options.rounds) rounds, \(options.queries) sequential SELECT 1 each:")
for transport in ["tcp", "unix"] {
    let mine = median(results["PGWire simpleQuery (\(transport))"]!.map(\.microsecondsPerQuery))
    let theirs = median(results["libpq via pgbench (\(transport))"]!.map(\.microsecondsPerQuery))
    let myCPU = median(results["PGWire simpleQuery (\(transport))"]!.map(\.cpuMicrosecondsPerQuery))
    let theirCPU = median(results["libpq via pgbench (\(transport))"]!.map(\.cpuMicrosecondsPerQuery))
    print(String(format: "%@: PGWire %.2f µs, libpq %.2f µs, throughput ratio PGWire/libpq = %.2fx; client CPU PGWire %.2f µs, libpq %.2f µs", transport as NSString, mine, theirs, theirs / mine, myCPU, theirCPU))
    print("{\"bench\":\"select1_roundtrip\",\"transport\":\"\(transport)\",\"queries\":\(options.queries),\"pgwire_us\":\(String(format: "%.2f", mine)),\"libpq_us\":\(String(format: "%.2f", theirs)),\"ratio\":\(String(format: "%.3f", theirs / mine))}")
}
