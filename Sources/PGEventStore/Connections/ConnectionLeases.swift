import PGWire
import Synchronization

/// The store's connections: at most `maximum`, opened on demand, each lent to one operation at
/// a time so that a transaction's statements never interleave with another task's.
///
/// A connection that comes back closed, or inside a transaction, is closed and forgotten
/// rather than lent again.
final class ConnectionLeases: Sendable {
    private struct State {
        var idle: [PGConnection] = []
        var open = 0
        var closed = false
        /// Tasks waiting for a connection, first come first served. Each is resumed with a
        /// connection, or with nil meaning "a slot is free: open one yourself".
        var waiters: [CheckedContinuation<PGConnection?, any Error>] = []
    }

    private let configuration: PGConnection.Configuration
    let maximum: Int
    private let state = Mutex(State())

    init(configuration: PGConnection.Configuration, maximum: Int) {
        self.configuration = configuration
        self.maximum = max(1, maximum)
    }

    /// Runs `body` with a connection of its own and takes the connection back afterwards.
    func withConnection<T>(_ body: (PGConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    private enum Acquisition {
        case reuse(PGConnection)
        case open
        case wait
    }

    private func acquire() async throws -> PGConnection {
        let next: Acquisition = try state.withLock { state in
            if state.closed { throw EventStoreError(.invalidArgument, "the event store is closed") }
            if let connection = state.idle.popLast() { return .reuse(connection) }
            if state.open < maximum {
                state.open += 1
                return .open
            }
            return .wait
        }
        switch next {
        case .reuse(let connection):
            return connection
        case .open:
            return try await openConnection()
        case .wait:
            let handed = try await withCheckedThrowingContinuation { continuation in
                let closed = state.withLock { state in
                    if state.closed { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if closed { continuation.resume(throwing: EventStoreError(.invalidArgument, "the event store is closed")) }
            }
            if let handed { return handed }
            return try await openConnection()
        }
    }

    /// Opens a connection for a slot already counted in `open`; gives the slot back on failure.
    private func openConnection() async throws -> PGConnection {
        do {
            return try await PGConnection.connect(configuration)
        } catch {
            freeSlot()
            throw error
        }
    }

    private func release(_ connection: PGConnection) async {
        guard !connection.isClosed, connection.transactionStatus == .idle else {
            await connection.close()
            freeSlot()
            return
        }
        let waiter: CheckedContinuation<PGConnection?, any Error>? = state.withLock { state in
            if state.closed { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        if let waiter {
            waiter.resume(returning: connection)
        } else if state.withLock({ $0.closed }) {
            await connection.close()
        }
    }

    /// A connection was dropped: let a waiter open a new one in its place.
    private func freeSlot() {
        let waiter: CheckedContinuation<PGConnection?, any Error>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        waiter?.resume(returning: nil)
    }

    /// Closes idle connections and refuses new leases; connections still lent are closed when
    /// they come back.
    func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.resume(throwing: EventStoreError(.invalidArgument, "the event store is closed")) }
        for connection in idle { await connection.close() }
    }
}
