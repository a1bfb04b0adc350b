import Foundation
import PGEventStore
import PGWire
import Synchronization

/// Positions a subscriber was given, in delivery order (shared with its consuming task).
final class Deliveries: Sendable {
    private let positions = Mutex<[Int64]>([])
    /// How the consuming loop ended, once it has.
    let ending = Mutex<String?>(nil)

    func record(_ event: RecordedEvent) { positions.withLock { $0.append(event.position) } }
    var all: [Int64] { positions.withLock { $0 } }
    var count: Int { positions.withLock { $0.count } }
    var distinctCount: Int { positions.withLock { Set($0).count } }
    /// Each position at its first delivery: an at-least-once subscriber's order with the
    /// redeliveries taken out.
    var firstDeliveries: [Int64] {
        var seen = Set<Int64>()
        return all.filter { seen.insert($0).inserted }
    }
}

/// Iterates `subscription` in a task of its own, recording every event.
func consume(_ subscription: EventSubscription) -> (Deliveries, Task<Void, any Error>) {
    let deliveries = Deliveries()
    let task = Task {
        do {
            for try await event in subscription { deliveries.record(event) }
            deliveries.ending.withLock { $0 = "returned" }
        } catch {
            deliveries.ending.withLock { $0 = "threw \(error)" }
            throw error
        }
    }
    return (deliveries, task)
}

extension StoreIntegration {
    /// A fresh store with a table `applied (seq, position)` for handlers to write to, and
    /// `count` events already appended to `stream`; returns the store and the events'
    /// positions in the global order.
    static func storeWithAppliedTable(events count: Int, stream: String) async throws -> (EventStore, [Int64]) {
        let store = try await freshStore()
        _ = try await store.pool.simpleQuery(
            "CREATE TABLE \(store.configuration.schema).applied (seq bigserial PRIMARY KEY, position int8 NOT NULL)")
        if count > 0 { try await store.append(to: stream, try events(count)) }
        return (store, try await store.readAll().collect().map(\.position))
    }

    /// An exactly-once handler's write: the events' positions into `applied`.
    static func apply(_ events: [RecordedEvent], on transaction: PGConnection, _ store: EventStore) async throws {
        _ = try await transaction.execute(
            "INSERT INTO \(store.configuration.schema).applied (position) SELECT unnest($1::int8[])", [events.map(\.position)])
    }

    /// Every committed event's position in the global order, read without the barrier:
    /// while subscriptions run, their own short transactions (a checkpoint save, a handler's
    /// batch) may hold `readAll()`'s barrier below appends that have already returned.
    static func committedPositions(_ store: EventStore) async throws -> [Int64] {
        try await store.pool.query(
            "SELECT position FROM \(store.configuration.schema).events ORDER BY transaction_id, position", []
        ).rows.map { try $0.decode(Int64.self, at: 0) }
    }

    /// The positions in `applied`, in the order they were written.
    static func appliedPositions(_ store: EventStore) async throws -> [Int64] {
        try await store.pool.query("SELECT position FROM \(store.configuration.schema).applied ORDER BY seq", []).rows
            .map { try $0.decode(Int64.self, at: 0) }
    }
}

/// A thread-safe count for tests.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add(_ n: Int = 1) { count.withLock { $0 += n } }
    var value: Int { count.withLock { $0 } }
}

/// Polls `condition` until it holds, failing after `limit`.
/// `state` describes what was seen, for the failure's message.
func waitUntil(
    _ limit: Duration, state: @autoclosure () -> String = "", _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitExpired(state: state()) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

struct WaitExpired: Error, CustomStringConvertible {
    var state = ""
    var description: String { "the wait expired" + (state.isEmpty ? "" : ": " + state) }
}

/// Runs `body`, failing when it takes longer than `limit` (it is cancelled then).
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw WaitExpired() }
        return value
    }
}
