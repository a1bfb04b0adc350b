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
///
/// Two floors (SubscribeFloors.swift) go with them: the notify floor, a plain listener on the
/// store's channel beside each subscriber (same probes, same load), and the barrier floor, a
/// pass of its own per load (its own probes and load, no subscriber) in which a plain
/// connection polls the read barrier until each probe's transaction is below it.
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
    /// The store's notification channel (`StoreSchema.notificationChannel`, internal to the
    /// library): `pgevents.<schema>`, which fits the 63-byte limit here.
    static let notificationChannel = "pgevents." + BenchStore.schema

    enum Form: String {
        /// `for try await event in subscription` (at-least-once).
        case iterator
        /// `subscription.run { events, transaction in }` (exactly-once).
        case run
    }

    /// One pass: a fresh store, warm-up and timed probes, with or without load.
    enum Pass {
        /// A subscriber of the form, and the notify floor's listener beside it.
        case subscription(Form)
        /// No subscriber: the barrier poller, and the notify floor's listener.
        case barrier
    }

    static func loadKey(_ writers: Int) -> String { writers == 0 ? "idle" : "load" }
    /// The notify floor's row for a subscription row ("iterator-load" → "notify-iterator-load").
    static func notifyKey(of subscriptionKey: String) -> String { "notify-" + subscriptionKey }
    /// The barrier floor's row for a subscription row ("iterator-load" → "barrier-load").
    static func barrierKey(of subscriptionKey: String) -> String {
        "barrier-" + (subscriptionKey.split(separator: "-").last.map(String.init) ?? "")
    }

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        try await target.withPGWire { admin in
            // By load, the barrier pass between the two forms: each floor ran next to the rows
            // it is compared with (the host's noise drifts over minutes).
            for writers in [0, loadWriters] {
                for pass in [Pass.subscription(.iterator), .barrier, .subscription(.run)] {
                    for outcome in await measure(pass, writers: writers, probes: options.probes, target, admin) {
                        report.add(outcome)
                        if outcome.status == .ok, let figures = outcome.note?.components(separatedBy: "; figures: ").last {
                            print("sublatency: \(outcome.name): \(figures)")
                        }
                    }
                }
            }
            _ = try? await admin.simpleQuery("DROP SCHEMA IF EXISTS \(BenchStore.schema) CASCADE")
        }
    }

    /// One pass; returns its rows: the subscription's and its notify floor's, or the barrier floor's.
    static func measure(_ pass: Pass, writers: Int, probes: Int, _ target: Target, _ admin: PGConnection) async -> [Outcome] {
        let load = loadKey(writers)
        let loadName = writers == 0 ? "no load" : "\(writers) writers"
        var outcome: Outcome
        var floor: Outcome?
        let application: String
        switch pass {
        case .subscription(let form):
            // "run" is the exactly-once form; the names fit the table's 40 characters.
            outcome = Outcome(
                bench: bench, key: "\(form.rawValue)-\(load)", name: "subscription \(form.rawValue), \(loadName)",
                library: .pgEventStore, method: form.rawValue, unit: "probes")
            floor = Outcome(
                bench: bench, key: notifyKey(of: outcome.key), name: "notify floor, \(loadName) (\(form.rawValue) pass)",
                library: .pgwire, method: "listen", unit: "probes")
            application = "pgbench-sublatency-\(form.rawValue)-\(load)"
        case .barrier:
            outcome = Outcome(
                bench: bench, key: "barrier-\(load)", name: "barrier floor, \(loadName) (own pass)", library: .pgwire,
                method: "poll", unit: "probes")
            application = "pgbench-sublatency-barrier-\(load)"
        }
        do {
            let store = try await BenchStore.fresh(
                target, admin, name: application, copyThreshold: BenchStore.defaultCopyThreshold, maximumConnections: writers + 2)
            do {
                try await measure(pass, writers: writers, probes: probes, store, target, admin, application, &outcome, &floor)
                await store.close()
                if case .subscription = pass, outcome.status == .ok, let work = try? await subscriberWork(admin) {
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
            if floor?.status == .ok { floor?.status = .failed("the pass failed: \(error)") }
        }
        return [outcome] + (floor.map { [$0] } ?? [])
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

    /// The subscriber in a task of its own: it takes the time first thing for each delivery
    /// and hands the probes to `record`; returns how many events it had.
    private static func startSubscriber(
        _ form: Form, _ subscription: EventSubscription, _ record: ProbeRecord, key: String
    ) -> Task<Int, Never> {
        let dump = ProcessInfo.processInfo.environment["PGBENCH_PROBE_DUMP"]
        return Task { () -> Int in
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
    }

    private static func measure(
        _ pass: Pass, writers: Int, probes: Int, _ store: EventStore, _ target: Target, _ admin: PGConnection,
        _ application: String, _ outcome: inout Outcome, _ floor: inout Outcome?
    ) async throws {
        let total = warmUp + probes
        let record = ProbeRecord(count: total)
        let listener = try await NotifyFloor.start(target, channel: notificationChannel)
        let subscription: EventSubscription?
        let subscriber: Task<Int, Never>?
        let poller: BarrierPoller?
        let polling: Task<Void, Never>?
        do {
            switch pass {
            case .subscription(let form):
                let subscribed = try store.subscribe("pgbench-latency")
                (subscription, subscriber, poller, polling) = (
                    subscribed, startSubscriber(form, subscribed, record, key: outcome.key), nil, nil
                )
            case .barrier:
                let (started, task) = try await BarrierPoller.start(target, record: record)
                (subscription, subscriber, poller, polling) = (nil, nil, started, task)
            }
        } catch {
            await listener.close()
            throw error
        }
        /// Ends whatever watches the probes; returns the subscriber's events.
        func stopWatchers() async -> Int {
            subscription?.stop()
            poller?.stop()
            await polling?.value
            await poller?.close()
            return await subscriber?.value ?? 0
        }
        let writing = LoadWriters(store: store, writers: writers)
        let watchdog = Task { await record.watch(stallSeconds: stallSeconds) }
        defer { watchdog.cancel() }
        let probeData = PGRawJSON(bytes: Array(#"{"probe":true}"#.utf8))
        var positions = [Int64](repeating: 0, count: total)
        func probe(_ i: Int) async throws {
            let event = try NewEvent(type: "Probe", data: probeData)
            poller?.started()
            let start = Measure.nanoseconds()
            record.started(i, at: start)
            let result = try await store.append(to: probeStream, expected: .exact(Int64(i)), [event])
            record.appended(i, at: Measure.nanoseconds())
            guard let position = result.positions.first else { throw BenchError("a probe's append returned no position") }
            positions[i] = position
            poller?.appended(i, start: start, transaction: result.transactionID)
        }
        let cost: Cost
        let loadEvents: Int
        // The CPU of the floors' own backends (the listener's, the poller's) in the timed phase.
        let floorPIDs = [listener.processID] + (poller.map { [$0.processID] } ?? [])
        var floorCPU: [Double?] = floorPIDs.map(Measure.processCPUSeconds)
        do {
            for i in 0..<warmUp {
                try await probe(i)
                try await record.wait(for: i)
            }
            // By now the store's pool and the subscription have connected.
            let pids = try await BenchStore.serverPIDs(admin, name: application)
            let loadBefore = writing.appended
            floorCPU = floorPIDs.map(Measure.processCPUSeconds)
            cost = try await Measure.run(serverPIDs: pids) {
                for i in warmUp..<total {
                    try await probe(i)
                    try await Task.sleep(for: gap)
                }
                try await record.wait(for: nil)
            }
            floorCPU = zip(floorCPU, floorPIDs.map(Measure.processCPUSeconds)).map { before, after in
                before.flatMap { before in after.map { $0 - before } }
            }
            loadEvents = writing.appended - loadBefore
            try await writing.stop()
        } catch {
            record.fail(error)
            try? await writing.stop()
            _ = await stopWatchers()
            await listener.close()
            throw error
        }
        let seenEvents = await stopWatchers()
        let notified: Result<[Int64: UInt64], any Error>
        do {
            notified = .success(try await listener.finish(admin))
        } catch {
            notified = .failure(error)
        }

        let (starts, appended, seen) = record.times
        let timed = warmUp..<total
        let notifiedAt = timed.map { (try? notified.get())?[positions[$0]] }
        if let folder = ProcessInfo.processInfo.environment["PGBENCH_PROBE_DUMP"] {
            // For analysis: one line per timed probe, nanoseconds (monotonic clock); seen is the
            // barrier poll's reply in a barrier pass; notified 0 when it did not arrive.
            let lines = timed.map { "\($0) \(starts[$0]) \(appended[$0]) \(seen[$0]) \(notifiedAt[$0 - warmUp] ?? 0)" }
            try (["probe start appended seen notified"] + lines).joined(separator: "\n")
                .write(toFile: "\(folder)/probes-\(outcome.key).txt", atomically: true, encoding: .utf8)
        }
        func milliseconds(_ from: UInt64, _ to: UInt64) -> Double { Double(Int64(bitPattern: to &- from)) / 1e6 }
        let latencies = LatencyFigures(timed.map { milliseconds(starts[$0], seen[$0]) })
        let appends = LatencyFigures(timed.map { milliseconds(starts[$0], appended[$0]) })
        let afterAppend = LatencyFigures(timed.map { milliseconds(appended[$0], seen[$0]) })
        // The notify floor's latencies, or why there are none.
        let notify: Result<[Double], any Error> = notified.flatMap { _ in
            if let missing = timed.first(where: { notifiedAt[$0 - warmUp] == nil }) {
                return .failure(BenchError("probe \(missing)'s notification (position \(positions[missing])) never arrived"))
            }
            return .success(timed.map { milliseconds(starts[$0], notifiedAt[$0 - warmUp]!) })
        }
        outcome.cost = cost
        outcome.operations = probes
        outcome.p50 = latencies.p50 * 1000
        outcome.p99 = latencies.p99 * 1000
        outcome.mean = latencies.mean * 1000
        let loadRate = Double(loadEvents) / cost.wall
        outcome.extra = [
            ("p90_us", latencies.p90 * 1000), ("max_us", latencies.max * 1000), ("append_p50_us", appends.p50 * 1000),
            ("append_p99_us", appends.p99 * 1000), ("after_append_p50_us", afterAppend.p50 * 1000),
            ("load_events_per_second", loadRate),
        ]
        let loadText =
            writers == 0
            ? "no other appends"
            : "\(writers) tasks appending \(loadBatch)-event batches (store.append(to:expected: .any), streams load-<task>-0..\(loadStreams - 1) in turn) "
                + String(format: "without pause: %.0f events/s appended during the timed probes", loadRate)
        let probesText =
            "\(probes) probes after \(warmUp) untimed, each one event by store.append(to: \"\(probeStream)\", expected: .exact(i)), "
            + "the next \(gapMilliseconds) ms after the append returned"
        let appendText = String(format: "append alone p50 %.3f / p99 %.3f ms", appends.p50, appends.p99)
        let listenerText =
            "a plain PGWire connection LISTENing on the store's channel \(notificationChannel) (every append notifies it "
            + "at commit, payload {\"transaction_id\",\"position\"}), its for-try-await loop in a task of its own taking "
            + "the time first; the probe's notification found afterwards by the position the append returned"

        switch pass {
        case .subscription(let form):
            outcome.extra.append(("subscriber_events", Double(seenEvents)))
            func pass(_ value: Double, _ goal: Double) -> String { value * 1000 <= goal ? "pass" : "MISS" }
            let how =
                form == .iterator
                ? "the body of the subscriber's for-try-await loop (at-least-once iterator)"
                : "the entry of the subscriber's run handler (exactly-once: the batch's transaction begun)"
            outcome.note =
                "\(probesText); latency = just before the append call until \(how) has it; "
                + "\(loadText); the subscriber (store.subscribe, default options: NOTIFY wakes it, it fetches from the table) "
                + "got \(seenEvents) events; the notify floor's listener ran beside it; per second = probes ÷ the timed "
                + "phase (the gaps included); server s = the store's and the subscription's backends; "
                + "figures: \(latencies.text); \(appendText), "
                + String(
                    format: "append return to subscriber p50 %.3f ms; goal p50 ≤ 1 ms: %@, p99 ≤ 2 ms: %@",
                    afterAppend.p50, pass(latencies.p50, goalP50), pass(latencies.p99, goalP99))
            guard var row = floor else { return }
            defer { floor = row }
            switch notify {
            case .failure(let error):
                row.status = .failed(String(describing: error))
            case .success(let values):
                let figures = LatencyFigures(values)
                // Per probe: how long after its notification the subscriber had it.
                let behind = LatencyFigures(timed.map { milliseconds(starts[$0], seen[$0]) - values[$0 - warmUp] })
                row.cost = Cost(wall: cost.wall, clientCPU: cost.clientCPU, serverCPU: floorCPU.first ?? nil)
                row.operations = probes
                row.p50 = figures.p50 * 1000
                row.p99 = figures.p99 * 1000
                row.mean = figures.mean * 1000
                row.extra = [
                    ("p90_us", figures.p90 * 1000), ("max_us", figures.max * 1000),
                    ("subscriber_after_notify_p50_us", behind.p50 * 1000), ("subscriber_after_notify_p90_us", behind.p90 * 1000),
                    ("subscriber_after_notify_p99_us", behind.p99 * 1000),
                ]
                row.note =
                    "the wake-up path alone (no table read, no read barrier), measured with the probes and the load of "
                    + "\"\(outcome.name)\", side by side: \(listenerText); latency = just before the append call until "
                    + "the listener has the probe's notification; client s = this whole process (shared with the "
                    + "subscriber); server s = the listener's backend; the subscriber's ratios to it are on its row "
                    + "(p50÷notify, p99÷notify); "
                    + String(
                        format: "per probe, the subscriber had it after its notification by p50 %.3f / p90 %.3f / p99 %.3f ms; ",
                        behind.p50, behind.p90, behind.p99)
                    + "figures: \(figures.text)"
            }
        case .barrier:
            let polls = poller?.polls ?? (count: 0, meanMicroseconds: Double.nan)
            let activeShare = Double(polls.count) * polls.meanMicroseconds / 1e6 / cost.wall
            outcome.cost.serverCPU = outcome.cost.serverCPU.flatMap { store in floorCPU.last.flatMap { $0.map { store + $0 } } }
            outcome.extra += [("polls", Double(polls.count)), ("poll_round_trip_mean_us", polls.meanMicroseconds)]
            let notifyText: String
            switch notify {
            case .failure(let error):
                notifyText = "the notify floor's listener in this pass failed: \(error)"
            case .success(let values):
                let figures = LatencyFigures(values)
                // Per probe, the later of the two: a reader woken by the probe's own notification
                // and honouring the barrier could not have it sooner.
                let both = LatencyFigures(timed.map { max(values[$0 - warmUp], milliseconds(starts[$0], seen[$0])) })
                let notifyFirst = timed.filter { values[$0 - warmUp] < milliseconds(starts[$0], seen[$0]) }.count
                outcome.extra += [
                    ("notify_p50_us", figures.p50 * 1000), ("notify_p99_us", figures.p99 * 1000),
                    ("later_of_both_p50_us", both.p50 * 1000), ("later_of_both_p99_us", both.p99 * 1000),
                    ("notify_before_barrier_share", Double(notifyFirst) / Double(probes)),
                ]
                notifyText =
                    "the notify floor's listener in this pass (\(listenerText)): \(figures.text); per probe the later "
                    + String(
                        format: "of notification and barrier: p50 %.3f / p90 %.3f / p99 %.3f ms; the notification came "
                            + "before the barrier passed for %.1f %% of the probes",
                        both.p50, both.p90, both.p99, Double(notifyFirst) / Double(probes) * 100)
            }
            let pollText = String(
                format: "%d polls, mean round trip %.1f µs, busy %.0f %% of the timed phase",
                polls.count, polls.meanMicroseconds, activeShare * 100)
            let passText =
                "the earliest any reader honouring the read barrier could deliver: a pass of its own (its own fresh store, "
                + "probes and load; no subscriber, since the poll loop takes CPU the subscriber would need on 2 cores)"
            let pollerText: String =
                "a plain PGWire connection runs the prepared \(BarrierPoller.sql) back to back while a probe is in "
                + "flight (idle otherwise; \(pollText)), latency = just before the append call until the reply to the "
                + "first poll since then whose barrier is above the probe's transaction id (the append's result), "
                + "which may come before the append returns; resolution one poll round trip"
            let notes: [String] = [
                passText, probesText, loadText, pollerText, "server s = the store's and the poller's backends", notifyText,
                "figures: \(latencies.text)",
            ]
            outcome.note = notes.joined(separator: "; ") + "; \(appendText)"
        }
    }
}

/// Quantiles of latencies in ms (the nearest-rank method of `Measure.quantile`).
struct LatencyFigures {
    let sorted: [Double]
    init(_ milliseconds: [Double]) { sorted = milliseconds.sorted() }
    func quantile(_ fraction: Double) -> Double { Measure.quantile(sorted, fraction) ?? .nan }
    var p50: Double { quantile(0.5) }
    var p90: Double { quantile(0.9) }
    var p99: Double { quantile(0.99) }
    var max: Double { sorted.last ?? .nan }
    var mean: Double { sorted.reduce(0, +) / Double(sorted.count) }
    var text: String { String(format: "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms", p50, p90, p99, max) }
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
        await watchForStall(stallSeconds: stallSeconds, progress: { state.withLock { ($0.seenCount, $0.waiter != nil) } }) { count in
            fail(BenchError("the subscriber had \(count) probes and no new one for \(stallSeconds) s"))
        }
    }
}
