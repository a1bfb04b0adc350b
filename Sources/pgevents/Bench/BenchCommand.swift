import ArgumentParser
import PGEventStore
import PGWire

/// `pgevents bench`: batched-append and read-back throughput of the store.
struct BenchCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark batched appends and a full read-back on a scratch schema.",
        discussion: """
            Appends --events events over --streams streams: event i goes to stream order-NNNNN \
            (i modulo streams) as version i / streams + 1, with a ~150-byte JSON order as data and \
            {"correlationId": <uuid>} as metadata. --writers tasks append at once, each owning its \
            own streams; each batch is one append in one transaction, every stream write \
            expecting its exact version. Then all events are read back in the global order.

            The benchmark runs in the schema <schema>_bench (pgevents_bench by default), which \
            it drops and recreates first and drops again at the end (keep it with --keep); it \
            never touches the store in --schema.

            Shows a progress bar on stderr when stderr is a terminal, then a table: events/s, \
            wall seconds, this process's CPU seconds (getrusage), p50 and p99 batch latency, \
            and the read-back's rows/s. --json prints one JSON line instead.

            EXAMPLES:
              pgevents bench
              pgevents bench --events 100000 --writers 2
              pgevents bench --events 20000 --streams 20 --json
              pgevents bench --batch 500 --url postgresql://bench@db:5432/bench

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Events to append.", valueName: "count"))
    var events = 1_000_000

    @Option(help: ArgumentHelp("Events per append (one transaction).", valueName: "count"))
    var batch = 1_000

    @Option(help: ArgumentHelp("Streams the events are spread over.", valueName: "count"))
    var streams = 10_000

    @Option(help: ArgumentHelp("Parallel appenders, each with its own streams.", valueName: "count"))
    var writers = 1

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    @Flag(help: "Keep the benchmark's schema afterwards.")
    var keep = false

    @Option(help: ArgumentHelp("Partition the benchmark's events table by this many positions first.", valueName: "positions"))
    var partitionSize: Int64?

    func validate() throws {
        guard events >= 1 else { throw ValidationError("--events must be 1 or more") }
        guard batch >= 1 else { throw ValidationError("--batch must be 1 or more") }
        if let partitionSize, partitionSize < 1 { throw ValidationError("--partition-size must be 1 or more") }
        guard streams >= 1, streams <= 99_999 else { throw ValidationError("--streams must be between 1 and 99999") }
        guard writers >= 1, writers <= streams else {
            throw ValidationError("--writers must be between 1 and --streams (each writer owns its own streams)")
        }
    }

    var benchSchema: String { global.schema + "_bench" }

    func run() async throws {
        let workload = BenchWorkload(events: events, streams: streams, batchSize: batch, writers: writers)
        try await ServerTarget.with(global) { target in
            var connection = target.connection
            connection.applicationName = "pgevents-bench"
            let admin = try await PGConnection.connect(connection)
            do {
                let report = try await measure(workload, target: target, connection: connection, admin: admin)
                if !keep { _ = try await admin.simpleQuery("DROP SCHEMA IF EXISTS \(SQLName.quoted(benchSchema)) CASCADE") }
                await admin.close()
                StandardOutput.shared.write(json ? report.json() : report.table())
            } catch {
                await admin.close()
                throw error
            }
        }
    }

    private func measure(
        _ workload: BenchWorkload, target: ServerTarget, connection: PGConnection.Configuration, admin: PGConnection
    ) async throws -> BenchReport {
        _ = try await admin.simpleQuery("DROP SCHEMA IF EXISTS \(SQLName.quoted(benchSchema)) CASCADE")
        let store = try EventStore(
            EventStore.Configuration(connection: connection, schema: benchSchema, maximumConnections: writers))
        do {
            try await store.migrate()
            // Start from a clean slate: no dirty pages of earlier work to write meanwhile.
            // Needs pg_checkpoint or superuser; without, the run goes on.
            if let partitionSize { try await store.partition(size: partitionSize) }
            _ = try? await admin.simpleQuery("CHECKPOINT")
            // One writer appends and reads on the pool's one connection: its backend's CPU is
            // the server's cost of each phase (more writers use more backends: not measured).
            var backend: BackendCPU?
            if writers == 1, let pid = try await store.pool.withConnection({ $0.processID }) { backend = BackendCPU(pid: pid) }
            let append = try await BenchPhases.append(workload, to: store, backend: backend)
            let read = try await BenchPhases.readBack(store, expected: workload.events, backend: backend)
            await store.close()
            return BenchReport(workload: workload, server: target.label, schema: benchSchema, append: append, read: read)
        } catch {
            await store.close()
            throw error
        }
    }
}
