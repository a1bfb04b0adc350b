import Foundation
import PGEventStore
import PGWire
import Synchronization

/// Benchmark 8: append-to-handler latency of a named subscription. A subscriber follows a
/// fresh store (every event, from the start); a probe task appends one event at a time to
/// the stream `probe-1` (`.exact` version, so probe i is version i + 1), `gap` apart; the
/// latency of a probe is from just before its `append` call to the moment the subscriber
/// has it: the body of its `for try await` loop (the at-least-once iterator) or the entry of
/// its batch handler (`run`, exactly-once). Each form once without load and once while
/// `loadWriters` tasks append small batches to other streams as fast as they can (the
/// subscriber gets those events too). Timestamps are kept in memory; the figures are computed
/// after the run.
enum SubscribeLatency {
    static let bench = "sublatency"
    static let probeStream = "probe-1"
    /// Untimed probes first, each waited for (the subscriber connects during the first).
    static let warmUp = 100
    /// The pause after each timed probe's append returns.
    static let gapMilliseconds = 2
    static let gap = Duration.milliseconds(gapMilliseconds)
    static let loadWriters = 2
    /// Events per load append, each to one of `loadStreams` streams of its writer in turn.
    static let loadBatch = 10
    static let loadStreams = 100
    /// Goals on loopback, in µs.
    static let goalP50 = 1_000.0
    static let goalP99 = 2_000.0
    /// A run whose subscriber makes no progress for this long while awaited fails.
    static let stallSeconds = 30

    enum Form: String {
        /// `for try await event in subscription` (at-least-once).
        case iterator
        /// `subscription.run { events, transaction in }` (exactly-once).
        case run
    }

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        try await target.withPGWire { admin in
            for form in [Form.iterator, .run] {
                for writers in [0, loadWriters] {
                    let outcome = await measure(form, writers: writers, probes: options.probes, target, admin)
                    report.add(outcome)
                    if outcome.status == .ok, let figures = outcome.note?.components(separatedBy: "; figures: ").last {
                        print("sublatency: \(outcome.name): \(figures)")
                    }
                }
            }
            _ = try? await admin.simpleQuery("DROP SCHEMA IF EXISTS \(BenchStore.schema) CASCADE")
        }
    }

    static func measure(_ form: Form, writers: Int, probes: Int, _ target: Target, _ admin: PGConnection) async -> Outcome {
        let load = writers == 0 ? "idle" : "load"
        // "run" is the exactly-once form; the names fit the table's 40 characters.
        let formName = form.rawValue
        var outcome = Outcome(
            bench: bench, key: "\(form.rawValue)-\(load)",
            name: "subscription \(formName), " + (writers == 0 ? "no load" : "\(writers) writers"), library: .pgEventStore,
            method: form.rawValue, unit: "probes")
        let application = "pgbench-sublatency-\(form.rawValue)-\(load)"
        do {
            let store = try await BenchStore.fresh(
                target, admin, name: application, copyThreshold: BenchStore.defaultCopyThreshold, maximumConnections: writers + 2)
            do {
                try await measure(form, writers: writers, probes: probes, store, admin, application, &outcome)
                await store.close()
                if outcome.status == .ok, let work = try? await subscriberWork(admin) {
                    outcome.note! += "; the subscriber's statements, warm-up included: \(work.fetches) fetches "
                        + "(index scans of events_transaction_order), \(work.saves) checkpoint saves (updates of "
                        + "subscription_checkpoints) for \(total(outcome)) events"
                    outcome.extra += [("fetches", Double(work.fetches)), ("checkpoint_saves", Double(work.saves))]
                }
            } catch {
                await store.close()
                throw error
            }
        } catch {
            outcome.status = .failed(String(describing: error))
        }
        return outcome
    }

    /// The subscriber's events, from the outcome's figures.
    private static func total(_ outcome: Outcome) -> Int {
        Int(outcome.extra.first { $0.0 == "subscriber_events" }?.1 ?? 0)
    }

    /// How many fetches and checkpoint saves the subscriber made, from the server's statistics
    /// once every backend of the store has ended (a backend reports them as it exits).
    private static func subscriberWork(_ admin: PGConnection) async throws -> (fetches: Int, saves: Int) {
        try await Task.sleep(for: .milliseconds(300))
        _ = try await admin.simpleQuery("SELECT pg_stat_clear_snapshot()")
        let rows = try await admin.query(PGQuery("""
            SELECT (SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = $1 AND indexrelname = 'events_transaction_order'),
                   (SELECT n_tup_upd FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'subscription_checkpoints')
            """, [BenchStore.schema])).collect()
        guard let row = rows.first else { throw BenchError("no statistics") }
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }

    private static func measure(
        _ form: Form, writers: Int, probes: Int, _ store: EventStore, _ admin: PGConnection, _ application: String,
        _ outcome: inout Outcome
    ) async throws {
        let total = warmUp + probes
        let record = ProbeRecord(count: total)
        let subscription = try store.subscribe("pgbench-latency")
        let dump = ProcessInfo.processInfo.environment["PGBENCH_PROBE_DUMP"]
        let key = outcome.key
        let subscriber = Task { () -> Int in
            var events = 0
            // For analysis (PGBENCH_PROBE_DUMP, iterator only): every delivery, with the
            // monotonic and the wall clock at one instant to place created_at (transaction start).
            var deliveries: [(UInt64, UInt64, Int64, Double, Bool)] = []
            let clocks = (Measure.nanoseconds(), Date().timeIntervalSince1970)
            defer {
                if let dump, !deliveries.isEmpty {
                    let lines = deliveries.map { "\($0.0) \($0.1) \($0.2) \(String(format: "%.6f", $0.3)) \($0.4 ? 1 : 0)" }
                    try? (["clocks \(clocks.0) \(String(format: "%.6f", clocks.1))"] + lines).joined(separator: "\n")
                        .write(toFile: "\(dump)/deliveries-\(key).txt", atomically: true, encoding: .utf8)
                }
            }
            do {
                switch form {
                case .iterator:
                    for try await event in subscription {
                        let now = Measure.nanoseconds()
                        events += 1
                        let probe = event.stream == probeStream
                        if dump != nil {
                            deliveries.append((now, event.transactionID, event.position, event.createdAt.timeIntervalSince1970, probe))
                        }
                        if probe, record.seen(version: event.version, at: now) { subscription.stop() }
                    }
                case .run:
                    try await subscription.run { batch, _ in
                        let now = Measure.nanoseconds()
                        events += batch.count
                        for event in batch where event.stream == probeStream {
                            if record.seen(version: event.version, at: now) { subscription.stop() }
                        }
                    }
                }
                record.fail(BenchError("the subscription ended before it had every probe"))
            } catch {
                record.fail(error)
            }
            return events
        }
        let writing = LoadWriters(store: store, writers: writers)
        let watchdog = Task { await record.watch(stallSeconds: stallSeconds) }
        defer {
            watchdog.cancel()
            subscription.stop()
        }
        let probeData = PGRawJSON(bytes: Array(#"{"probe":true}"#.utf8))
        func probe(_ i: Int) async throws {
            let event = try NewEvent(type: "Probe", data: probeData)
            record.started(i, at: Measure.nanoseconds())
            _ = try await store.append(to: probeStream, expected: .exact(Int64(i)), [event])
            record.appended(i, at: Measure.nanoseconds())
        }
        let cost: Cost
        let loadEvents: Int
        do {
            for i in 0..<warmUp {
                try await probe(i)
                try await record.wait(for: i)
            }
            // By now the store's pool and the subscription have connected.
            let pids = try await BenchStore.serverPIDs(admin, name: application)
            let loadBefore = writing.appended
            cost = try await Measure.run(serverPIDs: pids) {
                for i in warmUp..<total {
                    try await probe(i)
                    try await Task.sleep(for: gap)
                }
                try await record.wait(for: nil)
            }
            loadEvents = writing.appended - loadBefore
            try await writing.stop()
        } catch {
            record.fail(error)
            try? await writing.stop()
            subscription.stop()
            _ = await subscriber.value
            throw error
        }
        let seenEvents = await subscriber.value

        let (starts, appended, seen) = record.times
        let timed = warmUp..<total
        if let folder = ProcessInfo.processInfo.environment["PGBENCH_PROBE_DUMP"] {
            // For analysis: one line per timed probe, nanoseconds (monotonic clock).
            let lines = timed.map { "\($0) \(starts[$0]) \(appended[$0]) \(seen[$0])" }
            try (["probe start appended seen"] + lines).joined(separator: "\n")
                .write(toFile: "\(folder)/probes-\(outcome.key).txt", atomically: true, encoding: .utf8)
        }
        func milliseconds(_ values: [Int64]) -> [Double] { values.map { Double($0) / 1e6 }.sorted() }
        let latencies = milliseconds(timed.map { Int64(bitPattern: seen[$0] &- starts[$0]) })
        let appends = milliseconds(timed.map { Int64(bitPattern: appended[$0] &- starts[$0]) })
        let afterAppend = milliseconds(timed.map { Int64(bitPattern: seen[$0] &- appended[$0]) })
        func q(_ values: [Double], _ fraction: Double) -> Double { Measure.quantile(values, fraction) ?? .nan }
        let (p50, p90, p99, maximum) = (q(latencies, 0.5), q(latencies, 0.9), q(latencies, 0.99), latencies.last ?? .nan)
        outcome.cost = cost
        outcome.operations = probes
        outcome.p50 = p50 * 1000
        outcome.p99 = p99 * 1000
        outcome.mean = latencies.reduce(0, +) / Double(latencies.count) * 1000
        let loadRate = Double(loadEvents) / cost.wall
        outcome.extra = [
            ("p90_us", p90 * 1000), ("max_us", maximum * 1000), ("append_p50_us", q(appends, 0.5) * 1000),
            ("append_p99_us", q(appends, 0.99) * 1000), ("after_append_p50_us", q(afterAppend, 0.5) * 1000),
            ("load_events_per_second", loadRate), ("subscriber_events", Double(seenEvents)),
        ]
        func pass(_ value: Double, _ goal: Double) -> String { value * 1000 <= goal ? "pass" : "MISS" }
        let how =
            form == .iterator
            ? "the body of the subscriber's for-try-await loop (at-least-once iterator)"
            : "the entry of the subscriber's run handler (exactly-once: the batch's transaction begun)"
        let loadText =
            writers == 0
            ? "no other appends"
            : "\(writers) tasks appending \(loadBatch)-event batches (store.append(to:expected: .any), streams load-<task>-0..\(loadStreams - 1) in turn) "
                + String(format: "without pause: %.0f events/s appended during the timed probes", loadRate)
        outcome.note =
            "\(probes) probes after \(warmUp) untimed, each one event by store.append(to: \"\(probeStream)\", expected: .exact(i)), "
            + "the next \(gapMilliseconds) ms after the append returned; latency = just before the append call until \(how) has it; "
            + "\(loadText); the subscriber (store.subscribe, default options: NOTIFY wakes it, it fetches from the table) "
            + "got \(seenEvents) events; per second = probes ÷ the timed phase (the gaps included); server s = the store's "
            + "and the subscription's backends; "
            + String(
                format: "figures: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms; append alone p50 %.3f / p99 %.3f ms, "
                    + "append return to subscriber p50 %.3f ms; goal p50 ≤ 1 ms: %@, p99 ≤ 2 ms: %@",
                p50, p90, p99, maximum, q(appends, 0.5), q(appends, 0.99), q(afterAppend, 0.5), pass(p50, goalP50),
                pass(p99, goalP99))
    }
}

/// Tasks appending small batches to streams of their own until stopped.
private final class LoadWriters: Sendable {
    private final class Shared: Sendable {
        let stopping = Atomic<Bool>(false)
        let count = Atomic<Int>(0)
    }

    private let shared: Shared
    private let tasks: [Task<Void, any Error>]

    init(store: EventStore, writers: Int) {
        let shared = Shared()
        let data = PGRawJSON(bytes: Array(#"{"orderId":"load","amount":1234,"currency":"EUR","lines":3}"#.utf8))
        self.shared = shared
        tasks = (0..<writers).map { writer in
            Task {
                var n = 0
                while !shared.stopping.load(ordering: .relaxed) {
                    let events = try (0..<SubscribeLatency.loadBatch).map { _ in try NewEvent(type: "LoadEvent", data: data) }
                    _ = try await store.append(to: "load-\(writer)-\(n % SubscribeLatency.loadStreams)", expected: .any, events)
                    shared.count.add(events.count, ordering: .relaxed)
                    n += 1
                }
            }
        }
    }

    /// Events appended so far.
    var appended: Int { shared.count.load(ordering: .relaxed) }

    /// Stops the writers after their appends in flight; rethrows a writer's error.
    func stop() async throws {
        shared.stopping.store(true, ordering: .relaxed)
        for task in tasks { try await task.value }
    }
}

/// When each probe was started, appended and seen, and the probe task's waits for the subscriber.
final class ProbeRecord: Sendable {
    private struct State {
        var starts: [UInt64]
        var appended: [UInt64]
        var seen: [UInt64]
        var seenCount = 0
        /// Waits for probe `index` to be seen, or for every probe (nil).
        var waiter: (index: Int?, continuation: CheckedContinuation<Void, any Error>)?
        var failure: (any Error)?

        func satisfied(_ index: Int?) -> Bool { index.map { seen[$0] != 0 } ?? (seenCount == seen.count) }
    }

    private let state: Mutex<State>

    init(count: Int) {
        let zeros = [UInt64](repeating: 0, count: count)
        state = Mutex(State(starts: zeros, appended: zeros, seen: zeros))
    }

    var times: (starts: [UInt64], appended: [UInt64], seen: [UInt64]) { state.withLock { ($0.starts, $0.appended, $0.seen) } }

    func started(_ index: Int, at time: UInt64) { state.withLock { $0.starts[index] = time } }
    func appended(_ index: Int, at time: UInt64) { state.withLock { $0.appended[index] = time } }

    /// The subscriber has probe `version` (1-based; the first delivery counts). True once
    /// every probe has been seen.
    func seen(version: Int64, at time: UInt64) -> Bool {
        let (waiter, all) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, Bool) in
            let index = Int(version) - 1
            if index >= 0, index < state.seen.count, state.seen[index] == 0 {
                state.seen[index] = time
                state.seenCount += 1
            }
            let all = state.seenCount == state.seen.count
            guard let waiter = state.waiter, state.satisfied(waiter.index) else { return (nil, all) }
            state.waiter = nil
            return (waiter.continuation, all)
        }
        waiter?.resume()
        return all
    }

    /// Returns once probe `index` (nil: every probe) has been seen; throws the run's failure.
    func wait(for index: Int?) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result = state.withLock { state -> Result<Void, any Error>? in
                if state.satisfied(index) { return .success(()) }
                if let failure = state.failure { return .failure(failure) }
                state.waiter = (index, continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Fails the run unless every probe was seen already; the first failure counts.
    func fail(_ error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.failure == nil, state.seenCount < state.seen.count else { return nil }
            state.failure = error
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume(throwing: error)
    }

    /// Until cancelled: fails the run when a wait has seen no new probe for `stallSeconds`.
    func watch(stallSeconds: Int) async {
        var last = -1
        var stalled = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let (count, waiting) = state.withLock { ($0.seenCount, $0.waiter != nil) }
            stalled = waiting && count == last ? stalled + 1 : 0
            last = count
            if stalled >= stallSeconds {
                fail(BenchError("the subscriber had \(count) probes and no new one for \(stallSeconds) s"))
                return
            }
        }
    }
}
