import Synchronization

/// A statement parsed once by the server and executed many times with different parameters.
///
/// ```swift
/// let insert = try await connection.prepare("INSERT INTO t (id, name) VALUES ($1, $2)")
/// for (id, name) in items { try await insert.execute([id, name]) }
/// try await insert.close()
/// ```
///
/// The statement belongs to the connection that prepared it and lives until ``close()`` or the
/// end of the session.
public final class PGPreparedStatement: Sendable {
    /// The server-side name.
    public let name: String
    /// The SQL text.
    public let sql: String
    /// The parameter types the server settled on (ParameterDescription).
    public let parameterTypes: [PGDataType]
    /// The result columns, empty when the statement returns no rows.
    public let columns: PGColumns
    /// The connection the statement lives on.
    public let connection: PGConnection
    private let closed = Mutex(false)

    init(name: String, sql: String, parameterTypes: [PGDataType], columns: PGColumns, connection: PGConnection) {
        self.name = name
        self.sql = sql
        self.parameterTypes = parameterTypes
        self.columns = columns
        self.connection = connection
    }

    /// Executes the statement with `bindings` and returns its rows as they arrive.
    public func query(_ bindings: PGBindings) async throws -> PGRowSequence {
        guard !closed.withLock({ $0 }) else {
            throw PGError(.invalidArgument, "prepared statement \(name) was closed")
        }
        guard bindings.count == parameterTypes.count else {
            throw PGError(
                .invalidArgument, "prepared statement \(name) takes \(parameterTypes.count) parameters, \(bindings.count) given")
        }
        let adapted = try ParameterCoercion.adapt(bindings, to: parameterTypes)
        if columns.count == 0 {
            return try await connection.run(statement: name, parse: nil, bindings: adapted, columns: PGColumns([]))
        }
        return try await connection.run(statement: name, parse: nil, bindings: adapted, columns: columns)
    }

    /// Executes the statement with `values` as `$1`, `$2`, ... and returns its rows.
    public func query(_ values: [any PGEncodable] = []) async throws -> PGRowSequence {
        try await query(try Self.bindings(values))
    }

    /// Executes the statement for its effect and returns the command tag.
    @discardableResult
    public func execute(_ values: [any PGEncodable] = []) async throws -> PGCommandResult {
        let rows = try await query(try Self.bindings(values))
        for try await _ in rows {}
        return PGCommandResult(commandTag: rows.commandTag ?? "")
    }

    /// Deallocates the statement on the server. Harmless when already closed.
    public func close() async throws {
        let wasOpen = closed.withLock { state -> Bool in
            defer { state = true }
            return !state
        }
        guard wasOpen, !connection.isClosed else { return }
        try await connection.closeStatement(name)
    }

    private static func bindings(_ values: [any PGEncodable]) throws -> PGBindings {
        var bindings = PGBindings(capacity: values.count)
        for value in values { try bindings.append(value) }
        return bindings
    }
}

extension PGConnection {
    /// Parses `sql` once as a named prepared statement and describes its parameters and columns.
    ///
    /// - Parameters:
    ///   - sql: the statement, with `$1`, `$2`, ... placeholders.
    ///   - parameterTypes: types for the leading parameters; the server infers the rest.
    /// - Throws: ``PGError/Code/invalidConfiguration`` behind a pooler in transaction mode
    ///   (``Configuration/poolerMode``): the statement would stay on a server connection that
    ///   the next transaction may not get. Run the query directly (its Parse is unnamed there).
    public func prepare(_ sql: String, parameterTypes: [PGDataType] = []) async throws -> PGPreparedStatement {
        guard configuration.hasOwnSession else { throw configuration.sessionRequired("prepare()") }
        let name = nextStatementName()
        return try await exchange { encoder in
            try encoder.parse(statementName: name, query: sql, parameterTypes: parameterTypes.map(\.rawValue))
            try encoder.describeStatement(name)
            encoder.sync()
        } read: { io in
            var machine = PrepareMachine()
            while true {
                switch try machine.receive(try await receive(io)) {
                case .read:
                    continue
                case .finished(let types, let descriptions, let end):
                    try finish(end)
                    // Describe(statement) cannot know result formats yet; every execution asks
                    // for binary, so record that.
                    let columns = PGColumns(descriptions.map { column in
                        var column = column
                        column.format = .binary
                        return column
                    })
                    return PGPreparedStatement(name: name, sql: sql, parameterTypes: types, columns: columns, connection: self)
                }
            }
        }
    }

    func closeStatement(_ name: String) async throws {
        try await exchange { encoder in
            try encoder.closeStatement(name)
            encoder.sync()
        } read: { _ in
            _ = try await Self.readToEnd(self)
        }
    }

    func nextStatementName() -> String {
        let number = shared.withLock { state -> Int in
            state.statementCounter += 1
            return state.statementCounter
        }
        return "pgw_\(number)"
    }
}
