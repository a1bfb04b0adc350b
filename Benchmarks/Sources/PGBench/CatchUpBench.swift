import Foundation
import PGEventStore
import PGWire

/// Benchmark 9: a subscription catching up. `--events` events (the append benchmark's, as the
/// store benchmark appends them: one `append` of 1,000 events per call) go into a fresh store;
/// then, one after the other, readers go through all of them from the start: a plain PGWire
/// keyset read of the store's columns (the ceiling for a subscriber), `store.readAll()`, and
/// new named subscriptions (the at-least-once iterator with 1,000 and 5,000 events a batch,
/// the exactly-once `run` form) until each has seen every event. Events per second, and the
/// resident memory during each reader (it must stay flat: a page in memory, not the log).
enum CatchUpBench {
    static let bench = "catchup"
    static let application = "pgbench-catchup"
    /// Events per second a catching-up subscription should reach.
    static let goal = 300_000.0
    static let plainKey = "plain-keyset"
    /// Rows per page of the plain read (the store's default `pageSize` and `batchSize`).
    static let page = 1_000

    /// What every reader computes over the events, so that all provably got the same ones.
    struct Tally: Equatable {
        var count = 0
        var checksum = 0

        @inline(__always)
        mutating func add(
            id: UUID, stream: String, version: Int64, position: Int64, transaction: UInt64, type: String, data: Int,
            created: Date
        ) {
            count += 1
            checksum &+= Int(position) &+ Int(version) &+ Int(truncatingIfNeeded: transaction) &+ stream.utf8.count
            checksum &+= type.utf8.count &+ data &+ Int(id.uuid.15) &+ (created.timeIntervalSince1970 > 0 ? 1 : 0)
        }

        @inline(__always)
        mutating func add(_ event: RecordedEvent) {
            add(
                id: event.id, stream: event.stream, version: event.version, position: event.position,
                transaction: event.transactionID, type: event.type, data: event.data.bytes.count, created: event.createdAt)
        }
    }

    /// A reader: reads every event of the store (`total` of them), sampling `memory` as it
    /// goes; returns the cost and what it read. `backends` measures its server CPU.
    typealias Reader = (
        _ target: Target, _ store: EventStore, _ total: Int, _ backends: Backends, _ memory: inout MemoryWatch
    ) async throws -> (Cost, Tally)

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        try await target.withPGWire { admin in
            let store = try await fill(target, options, admin, report)
            var expected: Tally?
            let readers: [(String, String, Library, String, Reader)] = [
                (plainKey, "PGWire keyset read (ceiling)", .pgwire, "keyset", plainRead),
                ("read-all", "PGEventStore readAll()", .pgEventStore, "read-all", readAll),
                ("subscribe-1000", "subscription iterator, batch 1000", .pgEventStore, "iterator",
                    { try await subscription($0, $1, $2, $3, &$4, batchSize: 1_000, exactlyOnce: false) }),
                ("subscribe-5000", "subscription iterator, batch 5000", .pgEventStore, "iterator",
                    { try await subscription($0, $1, $2, $3, &$4, batchSize: 5_000, exactlyOnce: false) }),
                ("run-1000", "subscription run, batch 1000", .pgEventStore, "run",
                    { try await subscription($0, $1, $2, $3, &$4, batchSize: 1_000, exactlyOnce: true) }),
            ]
            for (key, name, library, method, reader) in readers {
                var outcome = Outcome(bench: bench, key: key, name: name, library: library, method: method, unit: "events")
                do {
                    let backends = try await Backends(admin, application: application)
                    // Freed memory (the fill's events, the previous reader's pages) back to the
                    // system, so that the baseline is what is in use and growth is not hidden.
                    ProcessMemory.trim()
                    var memory = MemoryWatch(events: options.events)
                    let (cost, tally) = try await reader(target, store, options.events, backends, &memory)
                    memory.finish()
                    outcome.cost = cost
                    outcome.operations = tally.count
                    if tally.count != options.events {
                        outcome.status = .failed("read \(tally.count) events of \(options.events)")
                    } else if let expected, expected != tally {
                        outcome.status = .failed("read other events than the first reader (checksum differs)")
                    }
                    expected = expected ?? tally
                    outcome.extra = [("rss_before_mb", ProcessMemory.megabytes(memory.baseline)), ("rss_growth_mb", memory.growthMB)]
                    if let (first, last) = memory.sampledGrowthMB {
                        outcome.extra += [("rss_growth_at_10pct_mb", first), ("rss_growth_at_100pct_mb", last)]
                    }
                    outcome.note = notes[key].map { $0 + "; " } ?? ""
                    outcome.note! += memory.description
                    if library == .pgEventStore, let rate = outcome.rate {
                        outcome.note! += "; goal ≥ \(Int(goal)) events/s: " + (rate >= goal ? "pass" : "MISS")
                    }
                } catch {
                    outcome.status = .failed(String(describing: error))
                }
                report.add(outcome)
            }
            await store.close()
            _ = try? await admin.simpleQuery("DROP SCHEMA IF EXISTS \(BenchStore.schema) CASCADE")
        }
    }

    static let notes: [String: String] = [
        plainKey: "one PGWire connection, `SELECT <RecordedEvent.columns> FROM events WHERE (transaction_id, position) > "
            + "($1::xid8, $2::int8) ORDER BY transaction_id, position LIMIT 1000` (statement cache) until a short page, "
            + "rows streamed and each column decoded (UUID, String, Int64 ×2, PGTransactionID, String, PGRawJSON ×2, Date; "
            + "metadata left as raw JSON); no read barrier",
        "read-all": "`for try await event in store.readAll()` (pageSize 1000: a page collected, then RecordedEvent(row:) "
            + "per row, metadata parsed to EventMetadata; with the read barrier)",
        "subscribe-1000": "a new named subscription from the start, `for try await event in subscription` until it had "
            + "every event, then stop(); default options (checkpoint saved every 1000 events)",
        "subscribe-5000": "as batch 1000 with SubscriptionOptions(batchSize: 5000)",
        "run-1000": "a new named subscription, `subscription.run { events, transaction in }` with a handler that only "
            + "counts: each batch one transaction with its checkpoint (BEGIN, UPDATE checkpoint, COMMIT)",
    ]

    /// A fresh store with `--events` events, appended as the store benchmark does, vacuumed.
    private static func fill(_ target: Target, _ options: Options, _ admin: PGConnection, _ report: Report) async throws -> EventStore {
        var outcome = Outcome(
            bench: bench, key: "fill", name: "PGEventStore append (the fill)", library: .pgEventStore, method: "fill",
            unit: "events")
        let store = try await BenchStore.fresh(target, admin, name: application, copyThreshold: BenchStore.defaultCopyThreshold)
        do {
            outcome.cost = try await appendAll(store, options, admin)
            outcome.operations = options.events
            try await BenchStore.check(admin, expected: options.events)
            let start = Measure.nanoseconds()
            // Hint bits and the visibility map set, so that no reader pays for writing them.
            _ = try await admin.simpleQuery("VACUUM ANALYZE \(BenchStore.events)")
            _ = try? await admin.simpleQuery("CHECKPOINT")
            outcome.note =
                "the readers' events: one store.append per batch of \(options.batchSize) (as the store benchmark), then "
                + String(format: "VACUUM ANALYZE and CHECKPOINT (%.1f s, not timed)", Double(Measure.nanoseconds() - start) / 1e9)
            report.add(outcome)
            return store
        } catch {
            await store.close()
            throw error
        }
    }

    /// The events generated and appended; their memory is freed on return.
    private static func appendAll(_ store: EventStore, _ options: Options, _ admin: PGConnection) async throws -> Cost {
        let writes = try StoreWrites.make(
            EventData.make(events: options.events, streams: options.streams, batchSize: options.batchSize))
        let pids = try await BenchStore.serverPIDs(admin, name: application)
        return try await Measure.run(serverPIDs: pids) {
            for write in writes { _ = try await store.append(write) }
        }
    }

    /// The ceiling: a plain keyset read of the same rows in the same order, page by page.
    static func plainRead(
        _ target: Target, _ store: EventStore, _ total: Int, _ backends: Backends, _ memory: inout MemoryWatch
    ) async throws -> (Cost, Tally) {
        let sql = """
            SELECT event_id, stream_name, stream_version, position, transaction_id, event_type, data, metadata, created_at
            FROM \(BenchStore.events)
            WHERE (transaction_id, position) > ($1::xid8, $2::int8)
            ORDER BY transaction_id, position LIMIT $3
            """
        return try await target.withPGWire { connection in
            var tally = Tally()
            var metadataBytes = 0
            let cost = try await Measure.run(serverPIDs: [connection.processID].compactMap { $0 }) {
                var after = (transaction: PGTransactionID(rawValue: 0), position: Int64(0))
                while true {
                    var rows = 0
                    let query = try PGQuery(sql, [after.transaction, after.position, Int64(page)])
                    for try await row in try await connection.query(query) {
                        let id = try row.decode(UUID.self, at: 0)
                        let stream = try row.decode(String.self, at: 1)
                        let version = try row.decode(Int64.self, at: 2)
                        let position = try row.decode(Int64.self, at: 3)
                        let transaction = try row.decode(PGTransactionID.self, at: 4)
                        let type = try row.decode(String.self, at: 5)
                        let data = try row.decode(PGRawJSON.self, at: 6)
                        let metadata = try row.decode(PGRawJSON?.self, at: 7)
                        let created = try row.decode(Date.self, at: 8)
                        metadataBytes &+= metadata?.bytes.count ?? 0
                        tally.add(
                            id: id, stream: stream, version: version, position: position, transaction: transaction.rawValue,
                            type: type, data: data.bytes.count, created: created)
                        memory.at(tally.count)
                        after = (transaction, position)
                        rows += 1
                    }
                    if rows < page { break }
                }
            }
            guard metadataBytes > 0 else { throw BenchError("no metadata read") }
            return (cost, tally)
        }
    }

    /// `store.readAll()` from the start.
    static func readAll(
        _ target: Target, _ store: EventStore, _ total: Int, _ backends: Backends, _ memory: inout MemoryWatch
    ) async throws -> (Cost, Tally) {
        var tally = Tally()
        var cost = try await Measure.run(serverPIDs: []) {
            for try await event in store.readAll() {
                tally.add(event)
                memory.at(tally.count)
            }
        }
        cost.serverCPU = backends.cpuSeconds()
        return (cost, tally)
    }

    /// A new named subscription from the start, until it has had `total` events; then stopped.
    static func subscription(
        _ target: Target, _ store: EventStore, _ total: Int, _ backends: Backends, _ memory: inout MemoryWatch,
        batchSize: Int, exactlyOnce: Bool
    ) async throws -> (Cost, Tally) {
        var tally = Tally()
        var serverCPU: Double?
        let name = "pgbench-catchup-\(exactlyOnce ? "run" : "iterator")-\(batchSize)"
        var cost = try await Measure.run(serverPIDs: []) {
            let subscription = try store.subscribe(name, options: SubscriptionOptions(batchSize: batchSize))
            if exactlyOnce {
                try await subscription.run { events, _ in
                    if tally.count == 0 { try await backends.discover() }
                    for event in events {
                        tally.add(event)
                        memory.at(tally.count)
                    }
                    if tally.count >= total {
                        serverCPU = backends.cpuSeconds()
                        subscription.stop()
                    }
                }
            } else {
                for try await event in subscription {
                    if tally.count == 0 { try await backends.discover() }
                    tally.add(event)
                    memory.at(tally.count)
                    if tally.count == total {
                        serverCPU = backends.cpuSeconds()
                        subscription.stop()
                    }
                }
            }
        }
        cost.serverCPU = serverCPU
        return (cost, tally)
    }
}

/// The CPU seconds of a store's backends (found by application_name), including those that
/// connect after the start (a subscription's own connection): such a backend counts from 0.
final class Backends: @unchecked Sendable {
    private let admin: PGConnection
    private let application: String
    /// CPU seconds of each backend when it was first seen (0 for one discovered later).
    private var before: [Int32: Double] = [:]

    init(_ admin: PGConnection, application: String) async throws {
        self.admin = admin
        self.application = application
        for pid in try await BenchStore.serverPIDs(admin, name: application) { before[pid] = Measure.processCPUSeconds(pid) ?? 0 }
    }

    /// Adds the backends that connected since (their CPU from their start).
    func discover() async throws {
        for pid in try await BenchStore.serverPIDs(admin, name: application) where before[pid] == nil { before[pid] = 0 }
    }

    /// CPU seconds of the known backends since they were first seen.
    func cpuSeconds() -> Double? {
        var total = 0.0
        for (pid, start) in before {
            // A backend that has ended since it was listed (an earlier reader's) did no work here.
            guard let now = Measure.processCPUSeconds(pid) else { continue }
            total += now - start
        }
        return total
    }
}
