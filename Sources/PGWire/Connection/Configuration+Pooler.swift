extension PGConnection.Configuration {
    /// What sits between this client and PostgreSQL, and so which session state survives from
    /// one transaction to the next (connection-string keyword `pooler_mode`).
    ///
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`, Supavisor, RDS
    /// Proxy) lends its server connections per transaction: whatever a session leaves on the
    /// server outside a transaction (a named prepared statement, `LISTEN`, a session advisory
    /// lock, `SET`, a temporary table) may be on another client's server connection by the
    /// next transaction, and the server connection this client gets next lacks it.
    ///
    /// With ``transaction`` the connection keeps nothing across transactions, as pgx's
    /// `default_query_exec_mode=exec` and psycopg's `prepare_threshold=None` do:
    /// - every extended query uses the unnamed statement, with Parse, Bind, Describe, Execute
    ///   and Sync in one write (one round trip, as before, without the statement cache's saved
    ///   parse; ``statementCacheCapacity`` is ignored);
    /// - pipelines and batches parse each statement unnamed too;
    /// - ``PGConnection/prepare(_:parameterTypes:)`` and ``PGConnection/listen(_:bufferLimit:)``
    ///   throw ``PGError/Code/invalidConfiguration``: a named statement or a LISTEN would
    ///   outlive the transaction on a server connection that is no longer this client's. Use a
    ///   direct connection (``none``) for them.
    ///
    /// COPY, transactions, simple queries and the pool's health check keep no session state and
    /// work unchanged. `SET`, session advisory locks and temporary tables are not refused (the
    /// client cannot tell them from other SQL): use `SET LOCAL`, `pg_advisory_xact_lock` and
    /// `ON COMMIT DROP` inside a transaction. PgBouncer also refuses startup parameters it does
    /// not know: ``statementTimeout``, ``options`` and ``runtimeParameters`` other than
    /// `application_name`, `TimeZone` and `DateStyle` need its `ignore_startup_parameters` or
    /// must be set on the server or role instead.
    @nonexhaustive
    public enum PoolerMode: String, Sendable, CaseIterable {
        /// A direct connection, or a pooler in session mode: the session is this client's own.
        case none
        /// A pooler in transaction mode: nothing is kept on the server across transactions.
        case transaction
    }

    /// Whether the session on the server is this connection's own from one transaction to the
    /// next (named statements, LISTEN): not behind a pooler in transaction mode.
    var hasOwnSession: Bool { poolerMode == .none }

    /// The error for an operation that needs a session of its own behind a transaction pooler.
    func sessionRequired(_ operation: String) -> PGError {
        PGError(
            .invalidConfiguration,
            "\(operation) needs a session of its own, which a pooler in transaction mode does not keep "
                + "(pooler_mode=transaction): use a direct connection to the server for it")
    }
}
