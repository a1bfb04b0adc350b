import Foundation
import PGEventStore
import PGWire

/// Single-event appends: 1, 8 and 32 concurrent writers, each appending one event at a time to
/// a stream of its own with an exact expected version, every call's latency recorded; and the
/// floor for one event: a bare autocommit INSERT of one row into a plain copy of the store's
/// events table on one PGWire connection.
enum SingleAppends {
    static let method = "single"
    static let bareKey = "bare-insert"
    static let writerCounts = [1, 8, 32]
    /// Untimed appends per writer first: they open the store's connections (whose backends are
    /// then found) and fill each connection's statement cache.
    static let warmUp = 50
    static let bareSchema = "pgbench_bare"

    /// Appends per writer count (and bare INSERTs): 5,000, fewer for small `--events`.
    static func appendCount(_ options: Options) -> Int {
        min(5_000, max(options.events / 4, 10 * (writerCounts.max() ?? 1)))
    }

    static func run(_ target: Target, _ options: Options, _ report: Report, _ admin: PGConnection) async {
        for writers in writerCounts {
            report.add(await concurrent(writers, target, options, admin))
        }
        report.add(await bareInsert(target, options, admin))
    }

    /// `writers` tasks appending to one store with `maximumConnections = writers`.
    static func concurrent(_ writers: Int, _ target: Target, _ options: Options, _ admin: PGConnection) async -> Outcome {
        let plural = writers == 1 ? "writer" : "writers"
        var outcome = Outcome(
            bench: StoreBench.bench, key: "store-single-\(writers)", name: "PGEventStore \(writers) \(plural), 1 event each",
            library: .pgEventStore, method: method, unit: "events")
        let perWriter = max(1, appendCount(options) / writers)
        let name = "pgbench-store-single-\(writers)"
        do {
            // The events, made before anything is timed.
            let events = try (0..<writers).map { writer in
                try (0..<(warmUp + perWriter)).map { i in try event(writer * (warmUp + perWriter) + i) }
            }
            let store = try await BenchStore.fresh(
                target, admin, name: name, copyThreshold: BenchStore.defaultCopyThreshold, maximumConnections: writers)
            do {
                _ = try await appendAll(store, events, range: 0..<warmUp)
                let pids = try await BenchStore.serverPIDs(admin, name: name)
                var latencies: [UInt64] = []
                outcome.cost = try await Measure.run(serverPIDs: pids) {
                    latencies = try await appendAll(store, events, range: warmUp..<(warmUp + perWriter))
                }
                await store.close()
                try await BenchStore.check(admin, expected: writers * (warmUp + perWriter))
                let sorted = latencies.map { Double($0) / 1000 }.sorted()
                outcome.operations = writers * perWriter
                outcome.p50 = Measure.quantile(sorted, 0.5)
                outcome.p99 = Measure.quantile(sorted, 0.99)
                // The same text for every writer count, so that the summary lists it once.
                outcome.note =
                    "\(appendCount(options)) appends split over the writers, \(warmUp) untimed each first; one event per "
                    + "append to the writer's own stream with .exact(version); maximumConnections = writers; latency per call; "
                    + "p50÷bare = p50 ÷ bare INSERT+COMMIT's p50 (target for 1 writer: ≤ 1.5)"
            } catch {
                await store.close()
                throw error
            }
        } catch {
            outcome.status = .failed(String(describing: error))
        }
        return outcome
    }

    /// Event `i`: the append benchmark's type and payload, metadata with a fresh correlation id.
    static func event(_ i: Int) throws -> NewEvent {
        try NewEvent(
            id: UUID(), type: EventData.types[i % EventData.types.count], data: PGRawJSON(bytes: EventData.payload(i)),
            metadata: EventMetadata(correlationID: UUID()))
    }

    /// Each writer appends its events in `range` one by one to stream `writer-<n>`, whose
    /// version is then the index of the event; returns every append's nanoseconds.
    private static func appendAll(_ store: EventStore, _ events: [[NewEvent]], range: Range<Int>) async throws -> [UInt64] {
        try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for (writer, mine) in events.enumerated() {
                group.addTask {
                    var nanoseconds: [UInt64] = []
                    nanoseconds.reserveCapacity(range.count)
                    for i in range {
                        let start = Measure.nanoseconds()
                        try await store.append(to: "writer-\(writer)", expected: .exact(Int64(i)), [mine[i]])
                        nanoseconds.append(Measure.nanoseconds() - start)
                    }
                    return nanoseconds
                }
            }
            var all: [UInt64] = []
            for try await nanoseconds in group { all += nanoseconds }
            return all
        }
    }

    /// One connection, one autocommit INSERT of one event per round trip (Bind, Execute, Sync
    /// with the statement cache), into `LIKE <store's events> INCLUDING ALL`: the same columns,
    /// defaults and indexes, without heads or version checks.
    static func bareInsert(_ target: Target, _ options: Options, _ admin: PGConnection) async -> Outcome {
        var outcome = Outcome(
            bench: StoreBench.bench, key: bareKey, name: "bare INSERT+COMMIT (1 event)", library: .pgwire,
            method: "insert", unit: "events")
        let count = appendCount(options)
        let insert = """
            INSERT INTO \(bareSchema).events (stream_name, stream_version, event_id, event_type, data, metadata)
            VALUES ($1, $2, $3, $4, $5::json, $6::json)
            """
        do {
            _ = try await admin.simpleQuery("""
                DROP SCHEMA IF EXISTS \(bareSchema) CASCADE;
                CREATE SCHEMA \(bareSchema);
                CREATE TABLE \(bareSchema).events (LIKE \(BenchStore.events) INCLUDING ALL);
                CHECKPOINT;
                """)
            // RoundTrip.timed's warm-up and timed loop both count from 0: versions come from here.
            let total = RoundTrip.warmUp + count
            let ids = (0..<total).map { _ in UUID() }
            // As text cast to json, the store's column type (schema 3): a jsonb parameter would
            // cost the server a jsonb parse and print that the store does not pay.
            let payloads = (0..<total).map { String(decoding: EventData.payload($0), as: UTF8.self) }
            let metadata = (0..<total).map { _ in "{\"correlationId\": \"\(UUID().uuidString.lowercased())\"}" }
            var next = 0
            let (cost, latencies) = try await target.withPGWire { connection in
                try await RoundTrip.timed(serverPIDs: [connection.processID].compactMap { $0 }, count) { _ in
                    let i = next
                    next += 1
                    _ = try await connection.execute(insert, [
                        "bare", i + 1, ids[i], EventData.types[i % EventData.types.count], payloads[i], metadata[i],
                    ])
                }
            }
            outcome.cost = cost
            outcome.operations = count
            outcome.p50 = Measure.quantile(latencies, 0.5)
            outcome.p99 = Measure.quantile(latencies, 0.99)
            outcome.note =
                "one PGWire connection, autocommit INSERT of one row per round trip into a LIKE ... INCLUDING ALL copy of "
                + "the store's events table (no heads, no version check), \(RoundTrip.warmUp) untimed first"
        } catch {
            outcome.status = .failed(String(describing: error))
        }
        _ = try? await admin.simpleQuery("DROP SCHEMA IF EXISTS \(bareSchema) CASCADE")
        return outcome
    }
}
