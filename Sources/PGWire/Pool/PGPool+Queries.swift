extension PGPool {
    /// Runs `query` on a pooled connection and returns all its rows: the connection goes back
    /// before this returns, so the rows cannot be streamed. Stream large results inside
    /// ``withConnection(_:)`` with the connection's own `query`.
    public func query(_ query: PGQuery) async throws -> PGQueryResult {
        try await withConnection { connection in
            let rows = try await connection.query(query)
            let collected = try await rows.collect()
            return PGQueryResult(columns: rows.columns, rows: collected, commandTag: rows.commandTag ?? "")
        }
    }

    /// Runs `sql` with `$1`, `$2`, ... bound to `values` on a pooled connection; returns all rows.
    public func query(_ sql: String, _ values: [any PGEncodable]) async throws -> PGQueryResult {
        try await query(try PGQuery(sql, values))
    }

    /// Runs `query` on a pooled connection for its effect and returns the command tag.
    @discardableResult
    public func execute(_ query: PGQuery) async throws -> PGCommandResult {
        try await withConnection { connection in try await connection.execute(query) }
    }

    /// Runs `sql` with `$1`, `$2`, ... bound to `values` on a pooled connection for its effect.
    @discardableResult
    public func execute(_ sql: String, _ values: [any PGEncodable]) async throws -> PGCommandResult {
        try await execute(try PGQuery(sql, values))
    }

    /// Runs `sql` (one or several statements) through the simple query protocol on a pooled
    /// connection; see ``PGConnection/simpleQuery(_:)``. A script that leaves a transaction
    /// open has it rolled back when the connection goes back.
    public func simpleQuery(_ sql: String) async throws -> [SimpleQueryResult] {
        try await withConnection { connection in try await connection.simpleQuery(sql) }
    }

    /// Sends every query at once on one pooled connection, each with its own Sync; see
    /// ``PGConnection/pipeline(_:)``.
    public func pipeline(_ queries: [PGQuery]) async throws -> [Result<PGQueryResult, PGError>] {
        try await withConnection { connection in try await connection.pipeline(queries) }
    }

    /// Sends every query at once on one pooled connection as one implicit transaction; see
    /// ``PGConnection/batch(_:)``.
    public func batch(_ queries: [PGQuery]) async throws -> [PGQueryResult] {
        try await withConnection { connection in try await connection.batch(queries) }
    }

    /// Listens on `channel` on the pool's dedicated notification connection (``listener``);
    /// see ``PGListener/listen(_:bufferLimit:timeout:)`` and ``PGNotificationSequence``.
    ///
    /// When that connection drops, every sequence ends with a ``PGError`` (notifications may
    /// have been missed) and the listener reconnects in the background: listen again.
    public func listen(
        _ channel: String, bufferLimit: Int = 10_000, timeout: Duration = .seconds(10)
    ) async throws -> PGNotificationSequence {
        try await listener.listen(channel, bufferLimit: bufferLimit, timeout: timeout)
    }
}
