import Foundation
import PGWire
import Synchronization

// The reference rows of the sublatency benchmark: how early the probes could be had at all.
//
// - notify floor: a plain PGWire connection listening on the store's channel, the wake-up path
//   alone (no table read, no read barrier). It runs beside the subscriber, same probes, same load.
// - barrier floor: a plain PGWire connection polling `pg_snapshot_xmin(pg_current_snapshot())`
//   back to back while a probe is in flight, until the probe's transaction is below it: the
//   earliest moment any reader honouring the barrier could deliver the probe. The poll loop
//   takes a core's worth of round trips, so it runs in a pass of its own (no subscriber).

/// A plain PGWire listener on the store's notification channel that timestamps every
/// notification as it arrives (first thing in its `for try await` loop, in a task of its own)
/// and keeps the payloads for afterwards.
final class NotifyFloor: Sendable {
    /// The payload that ends the listener (sent by `finish`, after every probe committed).
    static let endPayload = "pgbench-end"

    let channel: String
    let processID: Int32
    private let connection: PGConnection
    private let sequence: PGNotificationSequence
    private let consumer: Task<[(UInt64, String)], any Error>

    private init(
        channel: String, connection: PGConnection, sequence: PGNotificationSequence,
        consumer: Task<[(UInt64, String)], any Error>
    ) {
        self.channel = channel
        self.connection = connection
        self.sequence = sequence
        self.consumer = consumer
        processID = connection.processID ?? 0
    }

    /// Connects and listens (LISTEN confirmed when it returns).
    static func start(_ target: Target, channel: String) async throws -> NotifyFloor {
        let connection = try await target.connectPGWire()
        do {
            // Room for every notification of a loaded pass should the consumer be descheduled.
            let sequence = try await connection.listen(channel, bufferLimit: 1_000_000)
            let consumer = Task { () throws -> [(UInt64, String)] in
                var arrivals: [(UInt64, String)] = []
                arrivals.reserveCapacity(1 << 16)
                for try await notification in sequence {
                    let now = Measure.nanoseconds()
                    if notification.payload == endPayload { return arrivals }
                    arrivals.append((now, notification.payload))
                }
                throw BenchError("the notify floor's notification sequence ended early")
            }
            return NotifyFloor(channel: channel, connection: connection, sequence: sequence, consumer: consumer)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Sends the end payload from `admin` (it commits after every probe, and notifications come
    /// in commit order), waits for the listener (at most 10 s) and closes it. Returns each
    /// notified position's arrival time (the payload's "position": the transaction's last).
    func finish(_ admin: PGConnection) async throws -> [Int64: UInt64] {
        defer { consumer.cancel() }
        let arrivals: [(UInt64, String)]
        do {
            _ = try await admin.query("SELECT pg_notify($1, $2)", [channel, Self.endPayload]).collect()
            arrivals = try await withThrowingTaskGroup(of: [(UInt64, String)]?.self) { group in
                group.addTask { try await self.consumer.value }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let first else { throw BenchError("the notify floor's listener had no end payload after 10 s") }
                return first
            }
        } catch {
            await close()
            throw error
        }
        await close()
        var times: [Int64: UInt64] = [:]
        times.reserveCapacity(arrivals.count)
        for (time, payload) in arrivals {
            guard let position = Self.position(payload) else {
                throw BenchError("the notify floor got a payload without a position: \(payload)")
            }
            if times[position] == nil { times[position] = time }
        }
        return times
    }

    /// Ends the listener without waiting for the end payload (after a failure).
    func close() async {
        await sequence.stop()
        consumer.cancel()
        await connection.close()
    }

    /// The number after `"position":` in a store notification's payload.
    static func position(_ payload: String) -> Int64? {
        guard let key = payload.range(of: "\"position\":") else { return nil }
        return Int64(payload[key.upperBound...].prefix { $0.isNumber })
    }
}

/// Polls `SELECT pg_snapshot_xmin(pg_current_snapshot())` on a plain PGWire connection, one
/// round trip after the other, whenever a probe is in flight (from just before its append
/// call until a poll's barrier is above its transaction); idle otherwise. A probe counts as
/// delivered (`ProbeRecord.seen`) at the reply of the first poll whose barrier is above its
/// transaction id, the first such poll after its start (which may be before its append returned).
final class BarrierPoller: Sendable {
    static let sql = "SELECT pg_snapshot_xmin(pg_current_snapshot())"

    private struct State {
        /// Probes started and not yet below a polled barrier.
        var pending = 0
        /// Every poll's reply time and barrier while a probe was pending (cleared when none is).
        var samples: [(time: UInt64, barrier: UInt64)] = []
        /// Probes whose append returned, waiting for a barrier above their transaction.
        var waiting: [(index: Int, start: UInt64, transaction: UInt64)] = []
        var wake: CheckedContinuation<Bool, Never>?
        var stopped = false
        /// Polls and their total round-trip time, for the note.
        var polls = 0
        var pollNanoseconds: UInt64 = 0
    }

    let processID: Int32
    private let connection: PGConnection
    private let statement: PGPreparedStatement
    private let record: ProbeRecord
    private let state = Mutex(State())

    private init(connection: PGConnection, statement: PGPreparedStatement, record: ProbeRecord) {
        self.connection = connection
        self.statement = statement
        self.record = record
        processID = connection.processID ?? 0
    }

    /// Connects, prepares the poll and starts the poll loop in a task of its own.
    static func start(_ target: Target, record: ProbeRecord) async throws -> (BarrierPoller, Task<Void, Never>) {
        let connection = try await target.connectPGWire()
        do {
            let statement = try await connection.prepare(sql)
            let poller = BarrierPoller(connection: connection, statement: statement, record: record)
            let task = Task {
                do {
                    try await poller.loop()
                } catch {
                    record.fail(error)
                }
            }
            return (poller, task)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Polls, mean round trip in µs.
    var polls: (count: Int, meanMicroseconds: Double) {
        state.withLock { ($0.polls, $0.polls == 0 ? .nan : Double($0.pollNanoseconds) / Double($0.polls) / 1000) }
    }

    /// A probe is about to be appended: poll from now on.
    func started() {
        let wake = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.pending += 1
            defer { state.wake = nil }
            return state.wake
        }
        wake?.resume(returning: true)
    }

    /// The probe's append returned with its transaction id: delivered at the first poll since
    /// its start whose barrier is above it, if there is one already.
    func appended(_ index: Int, start: UInt64, transaction: UInt64) {
        let seen = state.withLock { state -> UInt64? in
            if let sample = state.samples.first(where: { $0.time >= start && $0.barrier > transaction }) {
                state.pending -= 1
                if state.pending == 0 { state.samples.removeAll(keepingCapacity: true) }
                return sample.time
            }
            state.waiting.append((index, start, transaction))
            return nil
        }
        if let seen { _ = record.seen(version: Int64(index) + 1, at: seen) }
    }

    func stop() {
        let wake = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.stopped = true
            defer { state.wake = nil }
            return state.wake
        }
        wake?.resume(returning: false)
    }

    /// Ends the poll loop (after `stop()` and the loop's task) and closes the connection.
    func close() async {
        try? await statement.close()
        await connection.close()
    }

    private func loop() async throws {
        while await work() {
            let before = Measure.nanoseconds()
            var barrier: UInt64?
            for try await row in try await statement.query() { barrier = try row.decode(UInt64.self, at: 0) }
            let now = Measure.nanoseconds()
            guard let barrier else { throw BenchError("\(Self.sql) returned no row") }
            sample(barrier, at: now, roundTrip: now - before)
        }
    }

    /// True at once while a probe is pending; else waits for one (false once stopped).
    private func work() async -> Bool {
        let now = state.withLock { state -> Bool? in
            if state.stopped { return false }
            return state.pending > 0 ? true : nil
        }
        if let now { return now }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool? in
                if state.stopped { return false }
                if state.pending > 0 { return true }
                state.wake = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    private func sample(_ barrier: UInt64, at time: UInt64, roundTrip: UInt64) {
        let seen = state.withLock { state -> [Int] in
            state.polls += 1
            state.pollNanoseconds += roundTrip
            state.samples.append((time, barrier))
            var seen: [Int] = []
            state.waiting.removeAll { probe in
                guard barrier > probe.transaction else { return false }
                seen.append(probe.index)
                return true
            }
            state.pending -= seen.count
            if state.pending == 0 { state.samples.removeAll(keepingCapacity: true) }
            return seen
        }
        for index in seen { _ = record.seen(version: Int64(index) + 1, at: time) }
    }
}
