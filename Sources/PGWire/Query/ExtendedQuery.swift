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
    ///
    /// A repeated query runs as a cached prepared statement (see
    /// ``Configuration/statementCacheCapacity``): parsed once, then only bound and executed.
    public func query(_ query: PGQuery) async throws -> PGRowSequence {
        try Self.validate(query)
        guard statementCache.capacity > 0 else {
            return try await run(statement: "", parse: (query.sql, query.bindings.dataTypes), bindings: query.bindings, columns: nil)
        }
        let key = StatementCache.Key(sql: query.sql, types: query.bindings.dataTypes)
        do {
            return try await runCached(key, bindings: query.bindings)
        } catch let error as PGError where error.sqlState == PGSQLState.featureNotSupported {
            // "cached plan must not change result type": the table changed under a cached
            // statement. It was evicted; parse it afresh, once.
            return try await runCached(key, bindings: query.bindings)
        }
    }

    /// Runs a query through the statement cache: Parse only on a miss, Describe only until the
    /// columns are known.
    private func runCached(_ key: StatementCache.Key, bindings: PGBindings) async throws -> PGRowSequence {
        var entry: (name: String, columns: PGColumns?, isNew: Bool, toClose: [String]) = ("", nil, false, [])
        do {
            try await send { encoder in
                entry = statementCache.lookup(key)
                for name in entry.toClose { try encoder.closeStatement(name) }
                do {
                    try Self.encodeExecution(
                        into: &encoder, statement: entry.name, parse: entry.isNew ? (key.sql, key.types) : nil,
                        bindings: bindings, describe: entry.columns == nil)
                } catch {
                    statementCache.evict(key, name: entry.name)
                    throw error
                }
            }
        }
        do {
            let rows = try await readPortalStart(
                ExtendedQueryMachine(closes: entry.toClose.count, parse: entry.isNew, known: entry.columns))
            if entry.columns == nil { statementCache.remember(rows.columns, for: key, name: entry.name) }
            if rows.exchange.wasCompleteAtCreation { endRead() }
            return rows
        } catch {
            if entry.isNew || (error as? PGError)?.sqlState == PGSQLState.featureNotSupported {
                statementCache.evict(key, name: entry.name)
            }
            let thrown = failExchange(error)
            endRead()
            throw thrown
        }
    }

    static func encodeExecution(
        into encoder: inout FrontendMessageEncoder, statement: String, parse: (sql: String, types: [PGDataType])?,
        bindings: PGBindings, describe: Bool, sync: Bool = true
    ) throws {
        if let parse {
            try encoder.parse(statementName: statement, query: parse.sql, parameterTypes: parse.types.map(\.rawValue))
        }
        try encoder.bind(
            portalName: "", statementName: statement,
            parameterFormats: bindings.count == 0 ? [] : [.binary], parameterCount: bindings.count,
            encodedParameters: bindings.wire, resultFormats: [.binary])
        if describe { try encoder.describePortal("") }
        try encoder.execute(portalName: "", maxRows: 0)
        if sync { encoder.sync() }
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
        if let failure = query.encodingError { throw failure.error }
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
            try Self.encodeExecution(
                into: &encoder, statement: statement, parse: parse, bindings: bindings, describe: columns == nil)
        }
        do {
            let rows = try await readPortalStart(ExtendedQueryMachine(closes: 0, parse: parse != nil, known: columns))
            // A statement without rows is complete already; one with rows keeps the read turn.
            if rows.exchange.wasCompleteAtCreation { endRead() }
            return rows
        } catch {
            let thrown = failExchange(error)
            endRead()
            throw thrown
        }
    }

    /// Reads the answer up to its columns, or to its end for a statement without rows; the
    /// returned sequence drives `machine` on through the rows, holding the read turn, unless
    /// the answer is complete already (the caller then ends the turn).
    func readPortalStart(_ machine: ExtendedQueryMachine) async throws -> PGRowSequence {
        var machine = machine
        while true {
            switch try machine.receive(try await receive(io)) {
            case .read:
                continue
            case .columns(let columns):
                return PGRowSequence(exchange: ReadExchange(connection: self, machine: machine), columns: columns)
            case .noRows:
                continue  // CommandComplete and ReadyForQuery follow; a row would be a violation
            case .finished(let commandTag, let end):
                try finish(end)
                return PGRowSequence(exchange: ReadExchange(completed: self, commandTag: commandTag), columns: .empty)
            case .row:
                throw PGError(.protocolViolation, "the server sent a row for a statement without columns")
            }
        }
    }
}
