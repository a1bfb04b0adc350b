// PGWire against postgres-nio, libpq (pgbench) and the server's own ceiling, in one run on one
// server: appending events, sequential round trips, pipelined queries and reading events; then
// PGEventStore's append against the same ceilings; then NOTIFY-to-listener latency and pool
// throughput; then PGEventStore's subscriptions: append-to-handler latency and catch-up throughput.
//
//   swift run -c release PGBench [--only append|roundtrip|pipeline|read|store|notify|pool|sublatency|catchup] [--events N] [--url URI]
//   swift run -c release PGBench --tls [--only append|roundtrip|pipeline|read]   # plaintext against TLS
//
// Each contender prints a JSON line (starting with `{`) and a table row as it finishes; a
// summary with ratios follows at the end. See README.md.
import Foundation

exit(await Harness.main(CommandLine.arguments))

enum Harness {
    /// Runs the selected benchmarks and returns the exit status.
    static func main(_ arguments: [String]) async -> Int32 {
        let options: Options
        do {
            options = try Options(arguments: arguments)
        } catch {
            let message = (error as? Options.UsageError)?.message
            if let message { FileHandle.standardError.write(Data("PGBench: \(message)\n".utf8)) }
            print(Options.usage)
            return message == nil ? 0 : 2
        }
        let started = Date()
        let target: Target
        do {
            target = try Target.make(options)
        } catch {
            FileHandle.standardError.write(Data("PGBench: cannot reach or start a server: \(error)\n".utf8))
            return 1
        }
        let report = Report()
        let serverVersion = try? await target.withPGWire { $0.serverVersion }
        if options.tls {
            // The selected benchmarks, each plaintext and TLS side by side, instead of the usual run.
            do { try await TLSBench.run(target, options, report) } catch { print("tls failed: \(error)") }
        } else {
            for benchmark in options.benchmarks {
                print("\n--- \(benchmark.rawValue) ---")
                do {
                    switch benchmark {
                    case .append: try await AppendBench.run(target, options, report)
                    case .roundtrip: try await RoundTrip.run(target, options, report)
                    case .pipeline: try await Pipeline.run(target, options, report)
                    case .read: try await ReadBench.run(target, options, report)
                    case .store: try await StoreBench.run(target, options, report)
                    case .notify: try await NotifyBench.run(target, options, report)
                    case .pool: try await PoolBench.run(target, options, report)
                    case .sublatency: try await SubscribeLatency.run(target, options, report)
                    case .catchup: try await CatchUpBench.run(target, options, report)
                    }
                } catch {
                    print("\(benchmark.rawValue) failed: \(error)")
                }
            }
        }
        target.stop()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let privateServer = target.server == nil ? "" : " (private server: fsync, synchronous_commit, full_page_writes off)"
        let when = ISO8601DateFormatter().string(from: started)
        let version = serverVersion ?? "?"
        let transport = options.tls ? "\(target.transport), plaintext and TLS" : target.transport
        let machine = "PGBench \(when), \(cores) cores, PostgreSQL \(version) over \(transport)\(privateServer)"
        let scale = "events \(options.events), streams \(options.streams), batch \(options.batchSize), "
            + "queries \(options.queries), pipeline queries \(options.pipelineQueries), depth \(options.depth), "
            + "notifications \(options.notifications), pool queries \(options.poolQueries) "
            + "(\(options.poolTasks) tasks, \(options.poolConnections) connections), probes \(options.probes)"
        let legend = "per second = events, queries or rows per second; client s = CPU seconds of this process "
            + "(getrusage) or of pgbench; server s = CPU seconds of the serving backend (/proc)"
        report.printSummary(header: [machine, scale, legend])
        if options.tls { report.printTLSTable() }
        return 0
    }
}
