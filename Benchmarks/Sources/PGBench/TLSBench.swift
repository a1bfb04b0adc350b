import Foundation
import PGWire

/// `--tls`: what TLS costs PGWire, and whether PGWire pays more for it than libpq. On one server
/// with TLS, in one process, each contender runs in plaintext (`sslmode=disable`) and at once
/// again over TLS (`sslmode=require`), so that both halves of a pair see the same machine load:
/// sequential round trips and pipelines (PGWire and pgbench), binary COPY append and reads
/// (PGWire); `--rounds` times, alternating which side goes first. The report's TLS table
/// (TLSReport.swift) sets the pairs side by side.
enum TLSBench {
    /// One way of connecting: the target and how its rows are named.
    struct Side {
        let target: Target
        /// Appended to the contender's key: `plain` or `tls`.
        let suffix: String
        /// Appended to the contender's name: `plain` or `TLS`.
        let label: String
    }

    static let plainSuffix = "plain"
    static let tlsSuffix = "tls"

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        report.comparesTLS = true
        let sides = [
            Side(target: try target.forcing(.disable, url: options.url), suffix: plainSuffix, label: "plain"),
            Side(target: try target.forcing(.require, url: options.url), suffix: tlsSuffix, label: "TLS"),
        ]
        // A mistake in the plumbing would compare plaintext with plaintext: each side proves
        // what it gets from the server's own view of the connection.
        for side in sides { try await check(side) }
        for part in options.benchmarks {
            print("\n--- \(part.rawValue), plain and TLS ---")
            switch part {
            case .roundtrip: try await roundTrips(sides, options, report)
            case .pipeline: try await pipelines(sides, options, report)
            case .append: try await appends(sides, options, report)
            case .read: try await reads(sides, options, report)
            default: throw BenchError("--tls does not measure \(part.rawValue)")
            }
        }
    }

    /// Fails unless PGWire and pgbench both connect with TLS on the TLS side and without it on
    /// the plain side (`pg_stat_ssl` of their own backend); prints the negotiated protocol.
    static func check(_ side: Side) async throws {
        let wantsTLS = side.suffix == tlsSuffix
        let (ssl, version, cipher) = try await side.target.withPGWire { connection in
            for try await row in try await connection.query(
                "SELECT ssl, coalesce(version, ''), coalesce(cipher, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            {
                return (try row.decode(Bool.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2))
            }
            throw BenchError("pg_stat_ssl has no row for PGWire's backend")
        }
        guard ssl == wantsTLS else { throw BenchError("PGWire's \(side.label) connection has ssl = \(ssl)") }
        // pgbench has no way to print a query's result: a wrong answer divides by zero instead,
        // which aborts its client and fails the run.
        let script = "SELECT ssl::int AS tls_on FROM pg_stat_ssl WHERE pid = pg_backend_pid() \\gset\n"
            + "\\set check 1 / (1 - abs(:tls_on - \(wantsTLS ? 1 : 0)))\n"
        let pgbench: String
        do {
            _ = try Pgbench.run(side.target, script: script, mode: "prepared", transactions: 1)
            pgbench = "pgbench too"
        } catch {
            // pgbench missing is the libpq rows' business (they say unavailable); a wrong mode is not.
            if case .failure = side.target.pgbench() { pgbench = "pgbench not found" } else { throw error }
        }
        print("tls: \(side.label) over \(side.target.transport): PGWire \(ssl ? "\(version) \(cipher)" : "without TLS"), \(pgbench)")
    }

    /// `outcome` (made by another benchmark's code) named as `key` and `name` on `side`.
    static func labelled(_ outcome: Outcome, _ part: Options.Benchmark, _ key: String, _ name: String, _ side: Side) -> Outcome {
        var outcome = outcome
        outcome.bench = part.rawValue
        outcome.key = "\(key)-\(side.suffix)"
        outcome.name = "\(name), \(side.label)"
        return outcome
    }

    /// A fresh outcome for a PGWire contender on `side`.
    static func pgwire(_ part: Options.Benchmark, _ key: String, _ name: String, method: String, unit: String, _ side: Side) -> Outcome {
        Outcome(bench: part.rawValue, key: "\(key)-\(side.suffix)", name: "\(name), \(side.label)", library: .pgwire, method: method, unit: unit)
    }

    /// Runs `measure` on both sides `--rounds` times, the side that goes first alternating
    /// (plain, TLS, then TLS, plain, ...), and reports each side's best run. Whichever side
    /// goes first on a fresh server pays for it (the first append creates the WAL files the
    /// later ones recycle); alternating and keeping the best leaves that, and most of a noisy
    /// neighbour, out of the pair's ratio. A failed run is reported instead of any best.
    static func pair(_ sides: [Side], _ options: Options, _ report: Report, _ measure: (Side) async -> Outcome) async {
        var kept: [Outcome?] = sides.map { _ in nil }
        for round in 0..<options.rounds {
            let order = round % 2 == 0 ? Array(sides.indices) : sides.indices.reversed()
            for index in order where kept[index].map({ $0.status == .ok }) ?? true {
                let outcome = await measure(sides[index])
                let figure = outcome.rate.map { String(format: "%.0f \(outcome.unit)/s", $0) } ?? "\(outcome.status)"
                print("tls: round \(round + 1) of \(options.rounds), \(outcome.name): \(figure)")
                fflush(nil)
                if outcome.status != .ok || (outcome.rate ?? 0) > (kept[index]?.rate ?? -1) { kept[index] = outcome }
            }
        }
        for case var outcome? in kept {
            if options.rounds > 1 {
                let rounds = "best of \(options.rounds) runs, plain and TLS alternating first"
                outcome.note = outcome.note.map { "\($0); \(rounds)" } ?? rounds
            }
            report.add(outcome)
        }
    }

    // MARK: The four parts

    /// PGWire's cached `query` against `pgbench -M prepared`: both Bind, Execute, Sync per query.
    static func roundTrips(_ sides: [Side], _ options: Options, _ report: Report) async throws {
        await pair(sides, options, report) { side in
            var outcome = pgwire(.roundtrip, "pgwire-query", "PGWire query (statement cache)", method: "prepared", unit: "queries", side)
            do {
                let (cost, latencies) = try await RoundTrip.pgwireQuery(side.target, options.queries, cache: true)
                outcome.record(cost, operations: options.queries, latencies: latencies)
            } catch {
                outcome.status = .failed(String(describing: error))
            }
            return outcome
        }
        await pair(sides, options, report) { side in
            labelled(RoundTrip.libpq(side.target, options, mode: "prepared"), .roundtrip, "pgbench-prepared", "libpq (pgbench -M prepared)", side)
        }
    }

    /// PGWire `batch(_:)` against pgbench's `\startpipeline` ... `\endpipeline`: the same wire
    /// shape, `--depth` statements and one Sync.
    static func pipelines(_ sides: [Side], _ options: Options, _ report: Report) async throws {
        await pair(sides, options, report) { side in
            var outcome = pgwire(.pipeline, "pgwire-batch", "PGWire batch", method: "batch", unit: "queries", side)
            do {
                outcome.cost = try await side.target.withPGWire { connection in
                    try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                        try await Pipeline.pipelined(connection, queries: options.pipelineQueries, depth: options.depth, batch: true)
                    }
                }
                outcome.operations = options.pipelineQueries
            } catch {
                outcome.status = .failed(String(describing: error))
            }
            return outcome
        }
        await pair(sides, options, report) { side in
            labelled(
                Pipeline.libpq(side.target, options, mode: "prepared"), .pipeline, "pgbench-pipeline-prepared",
                "libpq pipeline (-M prepared)", side)
        }
    }

    /// PGWire's binary COPY, the append benchmark's fastest client path: the most bytes per
    /// second through TLS.
    static func appends(_ sides: [Side], _ options: Options, _ report: Report) async throws {
        let batches = EventData.make(events: options.events, streams: options.streams, batchSize: options.batchSize)
        let copy = AppendBench.Contender(
            key: "pgwire-copy", name: "PGWire binary COPY", library: .pgwire, method: "copy", run: CopyContenders.appendCOPY)
        // The table is recreated and counted in plaintext, outside the timing.
        try await sides[0].target.withPGWire { admin in
            await pair(sides, options, report) { side in
                let outcome = await AppendBench.measure(copy, bench: AppendBench.bench, side.target, options, batches, admin)
                return labelled(outcome, .append, copy.key, copy.name, side)
            }
        }
    }

    /// PGWire `query` and binary COPY TO of the whole events table; every run must decode the
    /// same values.
    static func reads(_ sides: [Side], _ options: Options, _ report: Report) async throws {
        let rows = try await ReadBench.prepareTable(sides[0].target, options)
        let contenders: [(String, String, String, (Target) async throws -> (Cost, ReadBench.Tally))] = [
            ("pgwire-query", "PGWire query", "query", ReadBench.pgwireQuery),
            ("pgwire-copy-out", "PGWire binary COPY TO", "copy", ReadBench.pgwireCOPY),
        ]
        var expected: ReadBench.Tally?
        for (key, name, method, run) in contenders {
            await pair(sides, options, report) { side in
                var outcome = pgwire(.read, key, name, method: method, unit: "rows", side)
                do {
                    let (cost, tally) = try await run(side.target)
                    outcome.recordRead(cost, tally, rows: rows, expected: &expected)
                } catch {
                    outcome.status = .failed(String(describing: error))
                }
                return outcome
            }
        }
    }
}
