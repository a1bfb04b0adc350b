import PGWire
import Synchronization

extension EventStore {
    /// Runs `body` on a connection borrowed from ``pool``; see `PGPool.withConnection`.
    ///
    /// The pool decides what happens to the connection afterwards: a transaction left open is
    /// rolled back (the connection is dropped if that fails), and a connection whose task was
    /// cancelled is dropped, since a CancelRequest sent for it may still arrive and hit the next
    /// operation's statement.
    ///
    /// - Throws: what `body` throws; ``EventStoreError/Code/closed`` once the store (or
    ///   the pool it borrows from) is closed; ``EventStoreError/Code/acquireTimeout`` when no
    ///   connection could be had within the pool's acquire timeout. Other acquire failures (the
    ///   connect error, cancellation) stay `PGError`s.
    func withConnection<T>(_ body: (PGConnection) async throws -> T) async throws -> T {
        guard !closed.load(ordering: .acquiring) else { throw Self.storeClosed() }
        // Errors thrown before `body` ran come from the acquire; a timeout thrown by `body`
        // (a query timeout) is the query's own and must not read as "no connection".
        var borrowed = false
        do {
            return try await pool.withConnection { connection in
                borrowed = true
                return try await body(connection)
            }
        } catch let error as PGError where !borrowed {
            throw acquireFailure(error)
        }
    }

    /// Runs `body` in a transaction on a borrowed connection: committed when it returns,
    /// rolled back when it throws (see `PGConnection.withTransaction`).
    func withTransaction<T>(_ body: (PGConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in try await connection.withTransaction(PGTransactionOptions(), body) }
    }

    /// The store's error for a failed acquire, where it has one.
    func acquireFailure(_ error: PGError) -> any Error {
        switch error.code {
        case .timeout:
            let limit = pool.configuration.acquireTimeout
            return EventStoreError(
                .acquireTimeout, "the event store could not get a connection within its acquire timeout (\(limit)): \(error.message)",
                underlying: error)
        case .closed:
            // Our own close() raced with the acquire, or the application closed a pool it lent us.
            if closed.load(ordering: .acquiring) { return Self.storeClosed(underlying: error) }
            return EventStoreError(.closed, "the connection pool of the event store is closed: \(error.message)", underlying: error)
        default:
            return error
        }
    }

    static func storeClosed(underlying: PGError? = nil) -> EventStoreError {
        EventStoreError(.closed, "the event store is closed", underlying: underlying)
    }
}
