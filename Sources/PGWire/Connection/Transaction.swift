/// The isolation level of a transaction.
public enum PGIsolationLevel: String, Sendable, CaseIterable {
    /// `READ UNCOMMITTED`, which PostgreSQL runs as ``readCommitted``.
    case readUncommitted = "READ UNCOMMITTED"
    /// `READ COMMITTED` (PostgreSQL's default): each statement sees the data committed before it
    /// began.
    case readCommitted = "READ COMMITTED"
    /// `REPEATABLE READ`: every statement sees the snapshot taken at the transaction's first
    /// statement; updating or deleting a row that a concurrent transaction changed and committed
    /// fails with SQLSTATE 40001.
    case repeatableRead = "REPEATABLE READ"
    /// `SERIALIZABLE`: as ``repeatableRead``, and a transaction that could not have run in some
    /// serial order with the others fails with SQLSTATE 40001, to be retried.
    case serializable = "SERIALIZABLE"
}

/// How ``PGConnection/withTransaction(_:_:)`` starts its transaction.
public struct PGTransactionOptions: Sendable, Equatable {
    /// The isolation level; `nil` uses the session's default (`default_transaction_isolation`).
    public var isolation: PGIsolationLevel?
    /// `READ ONLY`: writes fail with SQLSTATE 25006.
    public var readOnly: Bool
    /// `DEFERRABLE`: for serializable read-only transactions, wait for a safe snapshot.
    public var deferrable: Bool

    /// Options for a transaction; the defaults give a plain `BEGIN`, which follows the session's
    /// defaults (`default_transaction_isolation`, `default_transaction_read_only`, ...).
    public init(isolation: PGIsolationLevel? = nil, readOnly: Bool = false, deferrable: Bool = false) {
        self.isolation = isolation
        self.readOnly = readOnly
        self.deferrable = deferrable
    }

    /// The `BEGIN` statement for these options.
    var beginStatement: String {
        var sql = "BEGIN"
        if let isolation { sql += " ISOLATION LEVEL \(isolation.rawValue)" }
        if readOnly { sql += " READ ONLY" }
        if deferrable { sql += " DEFERRABLE" }
        return sql
    }
}

/// Thrown by ``PGConnection/withTransaction(_:_:)`` when the body failed and the rollback
/// failed too: ``error`` is the body's original error, ``rollbackError`` why the rollback
/// failed (the connection is then usually broken and closed).
public struct PGTransactionError: Error, CustomStringConvertible {
    /// The error the transaction's body threw.
    public var error: any Error
    /// The error of the ROLLBACK that followed.
    public var rollbackError: any Error

    public var description: String {
        "\(error) (and the rollback failed: \(rollbackError))"
    }
}

extension PGConnection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// The body's error is rethrown as it is after a successful rollback; if the rollback fails
    /// too, a ``PGTransactionError`` carries both. If the body caught a statement error itself
    /// and returned, COMMIT finds the transaction failed; the server rolls it back and this
    /// throws ``PGError/Code/transactionRolledBack``.
    ///
    /// The transaction belongs to the connection, not to the task: statements that other tasks
    /// send on this connection meanwhile run inside it too. Give each concurrent transaction a
    /// connection of its own.
    ///
    /// - Parameters:
    ///   - options: isolation level, read-only and deferrable.
    ///   - body: the work; use the connection it receives.
    public func withTransaction<T>(
        _ options: PGTransactionOptions = PGTransactionOptions(),
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        guard transactionStatus == .idle else {
            throw PGError(.invalidArgument, "a transaction is already open on this connection (status \(transactionStatus))")
        }
        _ = try await simpleQuery(options.beginStatement)
        let result: T
        do {
            result = try await body(self)
        } catch {
            do {
                // Not cancellable: a cancelled task must still end its transaction.
                _ = try await simpleQuery("ROLLBACK", cancellable: false)
            } catch let rollbackError {
                throw PGTransactionError(error: error, rollbackError: rollbackError)
            }
            throw error
        }
        let commit = try await simpleQuery("COMMIT", cancellable: false)
        if commit.first?.commandTag == "ROLLBACK" {
            throw PGError(
                .transactionRolledBack,
                "COMMIT rolled the transaction back: a statement in it failed and its error was not rethrown")
        }
        return result
    }
}
