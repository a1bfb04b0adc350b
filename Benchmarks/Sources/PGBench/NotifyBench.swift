import Foundation
import PGWire
import PostgresNIO
import Synchronization

/// Benchmark 6: NOTIFY-to-listener latency. A listener connection of the contender listens on
/// a channel; one PGWire sender connection (the same for every contender, so that only the
/// listener differs) sends notification i with payload "i" through a prepared
/// `SELECT pg_notify($1, $2)` and waits until the listener's `for try await` loop, running in a
/// task of its own, has received it before sending i + 1. The latency of i is from just before
/// its send to the moment that loop gets it.
enum NotifyBench {
    static let bench = "notify"
    static let channel = "pgbench_notify"
    /// Untimed notifications first, through the same listener.
    static let warmUp = 200
    /// A notification that has not arrived after this long fails the contender.
    static let stallSeconds = 10

    /// Starts a listener of the contender's library (LISTEN confirmed when it returns) and its
    /// consumer task, which hands every notification to `arrivals`; returns the listener's
    /// backend and a function that ends the listener once the consumer task has finished
    /// (with `true`: cancels it first, after a failure, when it may wait for a notification
    /// that never comes).
    typealias Listener = (Target, Arrivals) async throws -> (Int32, (_ cancel: Bool) async -> Void)

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        let contenders: [(String, String, Library, Listener)] = [
            ("pgwire-listen", "PGWire listener", .pgwire, pgwireListener),
            ("nio-listen", "postgres-nio listener", .postgresNIO, nioListener),
        ]
        let count = options.notifications
        try await target.withPGWire { sender in
            // Prepared once: each send is Bind, Execute, Sync, one round trip.
            let notify = try await sender.prepare("SELECT pg_notify($1, $2)")
            for (key, name, library, listener) in contenders where options.runs(key) {
                var outcome = Outcome(
                    bench: bench, key: key, name: name, library: library, method: "listen", unit: "notifications")
                do {
                    let (cost, latencies) = try await measure(target, sender, notify, count, listener)
                    outcome.cost = cost
                    outcome.operations = count
                    outcome.p50 = Measure.quantile(latencies, 0.5)
                    outcome.p99 = Measure.quantile(latencies, 0.99)
                    outcome.mean = latencies.reduce(0, +) / Double(latencies.count)
                    outcome.note =
                        "\(count) sequential notifications after \(warmUp) untimed; one PGWire sender for both listeners "
                        + "(prepared SELECT pg_notify($1, $2), payload i); latency = just before the send until the "
                        + "listener's for-try-await loop (its own task) gets payload i, which it timestamps and hands "
                        + "back by resuming the sender's continuation (after the timestamp, not timed); every payload "
                        + "checked in order; per second = 1 ÷ (send + delivery + hand-back); client s includes the sender; "
                        + "server s = listener's and sender's backends; ratios = PGWire's latency ÷ postgres-nio's "
                        + "(targets: p50 ≤ 80 µs, p50÷nio ≤ 0.7)"
                } catch {
                    outcome.status = .failed(String(describing: error))
                }
                report.add(outcome)
            }
            try? await notify.close()
        }
    }

    /// Starts the contender's listener, sends the warm-up and the timed notifications one at a
    /// time, and returns the cost of the timed ones and their sorted latencies in µs.
    static func measure(
        _ target: Target, _ sender: PGConnection, _ notify: PGPreparedStatement, _ count: Int, _ listener: Listener
    ) async throws -> (Cost, [Double]) {
        let total = warmUp + count
        let payloads = (0..<total).map(String.init)
        let arrivals = Arrivals(payloads: payloads)
        let (listenerPID, stop) = try await listener(target, arrivals)
        let watchdog = Task { await arrivals.watch(stallSeconds: stallSeconds) }
        defer { watchdog.cancel() }
        var starts = [UInt64](repeating: 0, count: total)
        do {
            func send(_ i: Int) async throws {
                starts[i] = Measure.nanoseconds()
                try await notify.execute([channel, payloads[i]])
                try await arrivals.wait(for: i + 1)
            }
            for i in 0..<warmUp { try await send(i) }
            let serverPIDs = [listenerPID] + [sender.processID].compactMap { $0 }
            let cost = try await Measure.run(serverPIDs: serverPIDs) {
                for i in warmUp..<total { try await send(i) }
            }
            await stop(false)
            let times = arrivals.times
            let latencies = (warmUp..<total).map { Double(times[$0] &- starts[$0]) / 1000 }
            return (cost, latencies.sorted())
        } catch {
            arrivals.fail(error)
            await stop(true)
            throw error
        }
    }

    /// PGWire: `listen(_:bufferLimit:)` on a connection of its own; the consumer is a
    /// `for try await` loop in a task; `stop()` sends UNLISTEN once it has finished.
    static func pgwireListener(_ target: Target, _ arrivals: Arrivals) async throws -> (Int32, (Bool) async -> Void) {
        let connection = try await target.connectPGWire()
        do {
            let sequence = try await connection.listen(channel, bufferLimit: 10_000)
            let consumer = Task {
                do {
                    var finished = false
                    for try await notification in sequence {
                        let now = Measure.nanoseconds()
                        if arrivals.arrived(notification.payload, at: now, channel: notification.channel) {
                            finished = true
                            break
                        }
                    }
                    if !finished { arrivals.fail(BenchError("the notification sequence ended early")) }
                } catch {
                    arrivals.fail(error)
                }
            }
            return (connection.processID ?? 0, { cancel in
                if cancel { consumer.cancel() }
                await consumer.value
                await sequence.stop()
                await connection.close()
            })
        } catch {
            await connection.close()
            throw error
        }
    }

    /// postgres-nio: `listen(on:consume:)` (its `listen(_:)` is deprecated for it) on a
    /// connection of its own, the `for try await` loop inside the closure, in a task; the
    /// closure runs once LISTEN succeeded. Leaving it sends UNLISTEN.
    static func nioListener(_ target: Target, _ arrivals: Arrivals) async throws -> (Int32, (Bool) async -> Void) {
        let connection = try await target.connectNIO()
        do {
            let pid = try await connection.backendPID()
            let (listening, ready) = AsyncStream.makeStream(of: Void.self)
            let consumer = Task {
                do {
                    try await connection.listen(on: channel) { sequence in
                        ready.yield()
                        ready.finish()
                        for try await notification in sequence {
                            let now = Measure.nanoseconds()
                            if arrivals.arrived(notification.payload, at: now, channel: nil) { return }
                        }
                        arrivals.fail(BenchError("the notification sequence ended early"))
                    }
                } catch {
                    arrivals.fail(error)
                }
                ready.finish()
            }
            var iterator = listening.makeAsyncIterator()
            guard await iterator.next() != nil else {
                await consumer.value
                throw arrivals.failure ?? BenchError("postgres-nio's listen ended before it listened")
            }
            return (pid, { cancel in
                if cancel { consumer.cancel() }
                await consumer.value
                try? await connection.close()
            })
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// What the consumer loop hands to the sender: the arrival time of each notification, in order.
///
/// The consumer timestamps a notification first, then checks its payload and stores the time
/// under a lock and resumes the sender if it waits for that one. The sender waits through a
/// continuation rather than spinning: on two shared cores a spinning sender would take the CPU
/// the listener needs.
final class Arrivals: Sendable {
    private struct State {
        var count = 0
        var times: [UInt64]
        var waiter: (count: Int, continuation: CheckedContinuation<Void, any Error>)?
        var failure: (any Error)?
    }

    private let payloads: [String]
    private let state: Mutex<State>

    init(payloads: [String]) {
        self.payloads = payloads
        state = Mutex(State(times: [UInt64](repeating: 0, count: payloads.count)))
    }

    var times: [UInt64] { state.withLock { $0.times } }
    var failure: (any Error)? { state.withLock { $0.failure } }

    /// Records the next notification (the consumer's side); returns true after the last one.
    /// A payload other than the next expected fails the run.
    func arrived(_ payload: String, at time: UInt64, channel: String?) -> Bool {
        enum Next { case resume(CheckedContinuation<Void, any Error>), fail(BenchError), none }
        let (next, last) = state.withLock { state -> (Next, Bool) in
            let index = state.count
            guard state.failure == nil else { return (.none, true) }
            guard index < payloads.count, payload == payloads[index], channel ?? NotifyBench.channel == NotifyBench.channel
            else {
                let expected = index < payloads.count ? "\"\(payloads[index])\"" : "nothing"
                return (.fail(BenchError("notification \(index): payload \"\(payload)\" on \(channel ?? "?"), expected \(expected)")), true)
            }
            state.times[index] = time
            state.count = index + 1
            let last = state.count == payloads.count
            guard let waiter = state.waiter, waiter.count <= state.count else { return (.none, last) }
            state.waiter = nil
            return (.resume(waiter.continuation), last)
        }
        switch next {
        case .resume(let continuation): continuation.resume()
        case .fail(let error): fail(error)
        case .none: break
        }
        return last
    }

    /// Returns once `count` notifications have arrived (the sender's side).
    func wait(for count: Int) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result = state.withLock { state -> Result<Void, any Error>? in
                if state.count >= count { return .success(()) }
                if let failure = state.failure { return .failure(failure) }
                state.waiter = (count, continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Fails the run: the waiting sender (and any later wait) throws `error`. The first failure counts.
    func fail(_ error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.failure == nil else { return nil }
            state.failure = error
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume(throwing: error)
    }

    /// Until cancelled: fails the run when the sender has waited `stallSeconds` for the same notification.
    func watch(stallSeconds: Int) async {
        await watchForStall(stallSeconds: stallSeconds, progress: { state.withLock { ($0.count, $0.waiter != nil) } }) { count in
            fail(BenchError("notification \(count) did not arrive within \(stallSeconds) s"))
        }
    }
}

/// The notify benchmark's ratios: PGWire's latency ÷ postgres-nio's (below 1: PGWire is faster).
extension Report {
    static let notifyRatioLabels = [
        "p50_ratio_to_postgres_nio": "p50÷nio",
        "p99_ratio_to_postgres_nio": "p99÷nio",
        "mean_ratio_to_postgres_nio": "mean÷nio",
    ]

    func notifyRatios(_ outcome: Outcome) -> [(String, Double)] {
        guard outcome.library == .pgwire, outcome.status == .ok,
            let nio = outcomes.first(where: { $0.bench == NotifyBench.bench && $0.library == .postgresNIO && $0.status == .ok })
        else { return [] }
        var result: [(String, Double)] = []
        for (key, mine, theirs) in [
            ("p50_ratio_to_postgres_nio", outcome.p50, nio.p50), ("p99_ratio_to_postgres_nio", outcome.p99, nio.p99),
            ("mean_ratio_to_postgres_nio", outcome.mean, nio.mean),
        ] {
            if let mine, let theirs, theirs > 0 { result.append((key, mine / theirs)) }
        }
        return result
    }
}
