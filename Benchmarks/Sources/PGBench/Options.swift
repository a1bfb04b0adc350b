import Foundation

/// The command line of `PGBench`.
struct Options {
    enum Benchmark: String, CaseIterable {
        case append, roundtrip, pipeline, read, store, notify, pool, sublatency, catchup
    }

    /// The benchmarks to run, in this order.
    var benchmarks = Benchmark.allCases
    /// A libpq connection URI or key=value string; nil starts a private test server.
    var url: String?
    /// Connect over the test server's Unix socket instead of TCP on 127.0.0.1.
    var unixSocket = false
    /// Measure the benchmarks of ``tlsParts`` in plaintext and over TLS instead (TLSBench.swift).
    var tls = false
    /// With `tls`: how often each contender runs on each side; the best run of each side counts.
    var rounds = 3
    /// Events written by each append contender (the store's too), and rows read by the read benchmark.
    var events = 1_000_000
    /// Streams the events are spread over.
    var streams = 10_000
    /// Events per transaction in the append benchmark.
    var batchSize = 1_000
    /// Sequential `SELECT $1::int` round trips.
    var queries = 20_000
    /// `SELECT $1::int` statements in the pipeline benchmark.
    var pipelineQueries = 100_000
    /// Statements per pipeline (PGWire, pgbench) or queries in flight (postgres-nio).
    var depth = 100
    /// Sequential notifications timed by the notify benchmark.
    var notifications = 5_000
    /// `SELECT $1::int` run through the pool benchmark's pools, split over `poolTasks` tasks.
    var poolQueries = 200_000
    /// Concurrent tasks sharing each pool.
    var poolTasks = 64
    /// Each pool's maximum (and, for postgres-nio, minimum) number of connections.
    var poolConnections = 8
    /// Timed probe appends of the subscription latency benchmark (each scenario).
    var probes = 2_000
    /// Extra round trip rows, one per value: `query` with this `readSpin` in microseconds
    /// (`--read-spin 0,50,500`), to choose the default side by side.
    var readSpins: [Int] = []
    /// With `--contenders`: the only contenders (by key, as in the JSON lines) that the round
    /// trip, pipeline, read, notify and pool benchmarks run; nil runs all.
    var contenders: Set<String>?

    /// Whether the contender with `key` runs (see ``contenders``).
    func runs(_ key: String) -> Bool { contenders?.contains(key) ?? true }

    static let usage = """
        usage: PGBench [--only append|roundtrip|pipeline|read|store|notify|pool|sublatency|catchup[,...]]
                       [--url URI] [--unix | --tls [--rounds N]] [--events N] [--streams N] [--batch N]
                       [--queries N] [--pipeline-queries N] [--depth N] [--notifications N]
                       [--pool-queries N] [--pool-tasks N] [--pool-connections N] [--probes N]
                       [--contenders KEY[,...]] [--read-spin µs[,...]]

          --only       run only these benchmarks (comma-separated, or repeat the option)
          --url        a libpq connection string (postgres://user:pass@host:port/db); default:
                       start a private PostgreSQL server (needs a local installation)
          --unix       with the private server, connect over its Unix socket instead of TCP
          --tls        plaintext (sslmode=disable) against TLS (sslmode=require) on one server, side
                       by side: roundtrip, pipeline, append and read only (--only picks among them),
                       then a TLS table; the private server starts with TLS. With --url, the URL gets
                       sslmode=disable, then sslmode=require (its own sslmode is overridden). Not
                       with --unix: there is no TLS over a Unix socket
          --rounds     with --tls, runs of each contender on each side, which side goes first
                       alternating; the best run of each side is reported (3)
          --events     events appended by each append and store contender, rows read, events
                       a subscription catches up on (1000000)
          --streams    streams the events are spread over (10000)
          --batch      events per transaction (1000)
          --queries    sequential round trips (20000)
          --pipeline-queries  pipelined queries (100000)
          --depth      statements per pipeline, queries in flight (100)
          --notifications  sequential NOTIFYs timed by the notify benchmark (5000)
          --pool-queries  queries through each pool, split over the tasks (200000)
          --pool-tasks    concurrent tasks sharing each pool (64)
          --pool-connections  connections of each pool (8)
          --probes     timed probe appends per subscription latency scenario (2000)
          --read-spin  extra roundtrip rows "PGWire query, readSpin N µs", one per value, run
                       after the others in the order given (repeat a value to interleave: 0,500,0,500)
          --contenders only these contenders of roundtrip, pipeline, read, notify and pool, by
                       their JSON key (pgwire-pool, pgbench-c8-j2, pgwire-query, ...): quicker A/B runs
        """

    init(arguments: [String]) throws {
        var only: [Benchmark] = []
        var roundsGiven = false
        var iterator = arguments.dropFirst().makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw UsageError("\(name) needs a value") }
            return value
        }
        func count(_ name: String) throws -> Int {
            let text = try value(name).replacingOccurrences(of: "_", with: "")
            guard let number = Int(text), number > 0 else { throw UsageError("\(name) needs a positive number") }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "--only":
                for name in try value(argument).split(separator: ",") {
                    guard let benchmark = Benchmark(rawValue: String(name)) else {
                        throw UsageError("unknown benchmark \(name)")
                    }
                    only.append(benchmark)
                }
            case "--url": url = try value(argument)
            case "--unix": unixSocket = true
            case "--tls": tls = true
            case "--rounds":
                rounds = try count(argument)
                roundsGiven = true
            case "--events": events = try count(argument)
            case "--streams": streams = try count(argument)
            case "--batch": batchSize = try count(argument)
            case "--queries": queries = try count(argument)
            case "--pipeline-queries": pipelineQueries = try count(argument)
            case "--depth": depth = try count(argument)
            case "--notifications": notifications = try count(argument)
            case "--pool-queries": poolQueries = try count(argument)
            case "--pool-tasks": poolTasks = try count(argument)
            case "--pool-connections": poolConnections = try count(argument)
            case "--probes": probes = try count(argument)
            case "--read-spin":
                readSpins = try value(argument).split(separator: ",").map {
                    guard let microseconds = Int($0), microseconds >= 0 else { throw UsageError("--read-spin needs microseconds ≥ 0") }
                    return microseconds
                }
            case "--contenders": contenders = Set(try value(argument).split(separator: ",").map(String.init))
            case "--help", "-h": throw UsageError(nil)
            default: throw UsageError("unknown argument \(argument)")
            }
        }
        if !tls && roundsGiven { throw UsageError("--rounds goes with --tls") }
        if tls {
            if unixSocket { throw UsageError("--tls and --unix exclude each other: there is no TLS over a Unix socket") }
            if let other = only.first(where: { !Self.tlsParts.contains($0) }) {
                throw UsageError("--tls measures roundtrip, pipeline, append and read only, not \(other.rawValue)")
            }
            benchmarks = Self.tlsParts
        }
        if !only.isEmpty { benchmarks = Benchmark.allCases.filter(only.contains) }
    }

    /// The benchmarks `--tls` measures both ways.
    static let tlsParts: [Benchmark] = [.append, .roundtrip, .pipeline, .read]

    struct UsageError: Error {
        let message: String?
        init(_ message: String?) { self.message = message }
    }
}
