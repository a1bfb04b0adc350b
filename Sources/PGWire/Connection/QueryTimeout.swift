extension PGConnection {
    /// The query timeout of the current task's scope, set by ``withQueryTimeout(_:_:)``.
    @TaskLocal static var scopedQueryTimeout: Duration?

    /// Runs `body` with every query, COPY and pipeline it starts, on any connection or pool,
    /// bounded by `timeout` instead of ``Configuration/queryTimeout``.
    ///
    /// ```swift
    /// let rows = try await PGConnection.withQueryTimeout(.seconds(2)) {
    ///     try await connection.query("SELECT * FROM report").collect()
    /// }
    /// ```
    ///
    /// Each exchange is bounded on its own, from its start. When the bound passes, PGWire sends
    /// a CancelRequest; the exchange fails with ``PGError/Code/timeout``, carrying SQLSTATE 57014
    /// when the server cancelled it (the connection stays usable), or after
    /// ``Configuration/cancelGrace`` without an answer, when the connection is closed.
    ///
    /// - Throws: ``PGError/Code/invalidConfiguration`` when `timeout` is not between 1 ms and
    ///   `Int32.max` seconds; otherwise whatever `body` throws.
    public static func withQueryTimeout<T>(
        _ timeout: Duration, _ body: () async throws -> T
    ) async throws -> T {
        guard timeout >= .milliseconds(1), timeout <= .seconds(Int64(Int32.max)) else {
            throw PGError(.invalidConfiguration, "query timeout \(timeout) is out of range 1 ms...\(Int32.max) s")
        }
        return try await $scopedQueryTimeout.withValue(timeout) { try await body() }
    }
}
