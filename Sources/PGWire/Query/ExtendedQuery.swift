/// The outcome of a statement run for its effect.
public struct PGCommandResult: Sendable, Equatable {
    /// The command tag, for example `INSERT 0 3`, `UPDATE 2`, `CREATE TABLE`.
    public var commandTag: String

    /// The row count at the end of the tag (`INSERT 0 5` → 5, `DELETE 2` → 2), if it has one.
    public var affectedRows: Int? {
        guard commandTag.contains(" "), let last = commandTag.split(separator: " ").last else { return nil }
        return Int(last)
    }
}

extension PGConnection {
    /// Runs `query` with the extended protocol (Parse, Bind, Describe, Execute, Sync in one
    /// round trip, parameters and results in binary) and returns its rows as they arrive.
    ///
    /// Parameters are always sent as parameters, never spliced into the SQL. A server error is
    /// thrown from here (for errors before the first row) or from the iteration; either way the
    /// connection stays usable.
    public func query(_ query: PGQuery) async throws -> PGRowSequence {
        try Self.validate(query)
        return try await run(statement: "", parse: (query.sql, query.bindings.dataTypes), bindings: query.bindings, columns: nil)
    }

    /// Runs `sql` with `$1`, `$2`, ... bound to `values`, returning its rows as they arrive.
    public func query(_ sql: String, _ values: [any PGEncodable]) async throws -> PGRowSequence {
        try await query(try PGQuery(sql, values))
    }

    /// Runs `query` for its effect, discarding any rows, and returns the command tag.
    @discardableResult
    public func execute(_ query: PGQuery) async throws -> PGCommandResult {
        let rows = try await self.query(query)
        for try await _ in rows {}
        return PGCommandResult(commandTag: rows.commandTag ?? "")
    }

    /// Runs `sql` with `$1`, `$2`, ... bound to `values` for its effect.
    @discardableResult
    public func execute(_ sql: String, _ values: [any PGEncodable]) async throws -> PGCommandResult {
        try await execute(try PGQuery(sql, values))
    }

    static func validate(_ query: PGQuery) throws {
        if let error = query.encodingError { throw error }
        guard query.bindings.count <= PGBindings.maximumCount else {
            throw PGError(
                .invalidArgument,
                "a statement can have at most \(PGBindings.maximumCount) parameters; this one has \(query.bindings.count)")
        }
    }

    /// Sends one statement execution and reads up to its first row.
    ///
    /// - Parameters:
    ///   - statement: the prepared statement's name, or "" for the unnamed one.
    ///   - parse: the SQL and parameter types to Parse first (unnamed statements), or nil.
    ///   - columns: the known result columns (prepared statements), or nil to Describe the portal.
    func run(
        statement: String, parse: (sql: String, types: [PGDataType])?, bindings: PGBindings, columns: PGColumns?
    ) async throws -> PGRowSequence {
        try await send { encoder in
            if let parse {
                try encoder.parse(statementName: statement, query: parse.sql, parameterTypes: parse.types.map(\.rawValue))
            }
            try encoder.bind(
                portalName: "", statementName: statement,
                parameterFormats: bindings.count == 0 ? [] : [.binary], parameters: bindings.values,
                resultFormats: [.binary])
            if columns == nil { try encoder.describePortal("") }
            try encoder.execute(portalName: "", maxRows: 0)
            encoder.sync()
        }
        do {
            let stream = try await readPortalStart(columns: columns)
            // A statement without rows is complete already; one with rows keeps the read turn.
            if stream.isFinished { endRead() }
            return PGRowSequence(stream: stream)
        } catch {
            let thrown = failExchange(error)
            endRead()
            throw thrown
        }
    }

    /// Reads the answer up to the first row (or to the end for statements without rows).
    private func readPortalStart(columns: PGColumns?) async throws -> RowStream {
        // Header: ParseComplete, BindComplete, then RowDescription or NoData (when described).
        while true {
            let message = try await receive(io)
            switch message {
            case .parseComplete, .bindComplete:
                continue
            case .rowDescription(let descriptions):
                return RowStream(connection: self, columns: PGColumns(descriptions))
            case .noData:
                let tag = try await RowStream.readToEnd(self)
                return RowStream(completed: self, commandTag: tag)
            case .dataRow(let data) where columns != nil:
                // A prepared statement: no Describe, rows follow BindComplete directly.
                let stream = RowStream(connection: self, columns: columns!)
                stream.pushBack(PGRow(columns: columns!, data: data))
                return stream
            case .commandComplete(let tag) where columns != nil:
                // A prepared statement that returned no rows.
                _ = try await RowStream.readToEnd(self)
                return RowStream(completed: self, commandTag: tag)
            case .emptyQueryResponse:
                let tag = try await RowStream.readToEnd(self)
                return RowStream(completed: self, commandTag: tag ?? "")
            case .errorResponse(let fields):
                let failure = PGError.server(fields)
                // Everything up to Sync is skipped by the server; read to ReadyForQuery.
                while true {
                    if case .readyForQuery(let status) = try await receive(io) {
                        ready(status)
                        break
                    }
                }
                throw failure
            default:
                throw PGError(.protocolViolation, "unexpected \(message.kindName) before a query result")
            }
        }
    }
}
