import PGWire
import Synchronization

extension EventStore {
    /// Whether the pool's connections go through a pooler in transaction mode, so that nothing
    /// of a session outlives a transaction on them.
    var poolIsTransactionPooled: Bool { pool.configuration.connection.poolerMode == .transaction }

    /// The settings for a connection with a session of its own, for `purpose` (subscriptions,
    /// migrations, LISTEN): ``Configuration/sessionConnection``, else the pool's own settings
    /// when they reach the server directly.
    ///
    /// - Throws: ``EventStoreError/Code/invalidArgument`` naming the missing setting when the
    ///   pool goes through a pooler in transaction mode and no session connection is set, or
    ///   when the session connection itself is marked as such a pooler.
    func sessionConfiguration(for purpose: String) throws -> PGConnection.Configuration {
        if let session = configuration.sessionConnection {
            guard session.poolerMode != .transaction else {
                throw EventStoreError(
                    .invalidArgument,
                    "\(purpose) needs a session of its own, but EventStore.Configuration.sessionConnection has "
                        + "poolerMode .transaction: give it a direct connection to the server")
            }
            return session
        }
        guard !poolIsTransactionPooled else {
            throw EventStoreError(
                .invalidArgument,
                "\(purpose) needs a session of its own, which a pooler in transaction mode (pooler_mode=transaction) "
                    + "does not keep: set EventStore.Configuration.sessionConnection to a direct connection to the server "
                    + "(pgevents: --listen-url or PGEVENTS_LISTEN_URL)")
        }
        return pool.configuration.connection
    }

    /// Runs `body` on a connection with a session of its own: a borrowed one from the pool when
    /// the pool reaches the server directly, else a new direct connection, closed afterwards.
    func withSessionConnection<T>(for purpose: String, _ body: (PGConnection) async throws -> T) async throws -> T {
        guard configuration.sessionConnection != nil || poolIsTransactionPooled else {
            return try await withConnection(body)
        }
        let settings = try sessionConfiguration(for: purpose)
        guard !closed.load(ordering: .acquiring) else { throw Self.storeClosed() }
        let connection = try await PGConnection.connect(settings, logger: configuration.logger)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Notifications on `channel` from a session that LISTENs: the store's listener on
    /// ``Configuration/sessionConnection`` when set, else the pool's listener.
    func listen(_ channel: String, timeout: Duration) async throws -> PGNotificationSequence {
        guard let listener = sessionListener else {
            if poolIsTransactionPooled { _ = try sessionConfiguration(for: "waiting for subscriptions") }
            return try await pool.listen(channel, timeout: timeout)
        }
        return try await listener.listen(channel, timeout: timeout)
    }
}
