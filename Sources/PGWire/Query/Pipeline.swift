import Synchronization

/// The complete result of one statement: its rows (collected) and its command tag.
public struct PGQueryResult: Sendable {
    /// The result's columns (empty for statements without rows).
    public var columns: PGColumns
    /// Every row.
    public var rows: [PGRow]
    /// The command tag, for example `SELECT 3` or `INSERT 0 1`.
    public var commandTag: String

    /// The row count at the end of the command tag, if it has one.
    public var affectedRows: Int? { PGCommandResult(commandTag: commandTag).affectedRows }
}

extension PGConnection {
    /// Bytes encoded before they are written out: large enough for few system calls, small
    /// enough that a huge pipeline never builds one huge buffer.
    static let pipelineChunk = 64 * 1024

    /// Sends every query at once and reads the answers in order: one round trip for all, as in
    /// libpq's pipeline mode.
    ///
    /// Each query has its own Sync, so a failing query fails only its own entry; the others
    /// run (each in its own implicit transaction unless you opened one). Rows are collected.
    /// Concurrent tasks using one connection are pipelined automatically too; this is the form
    /// for one task with many statements.
    public func pipeline(_ queries: [PGQuery]) async throws -> [Result<PGQueryResult, PGError>] {
        for query in queries { try Self.validate(query) }
        return try await pipelined(queries, syncEach: true)
    }

    /// Sends every query at once with a single Sync: they run as one implicit transaction and
    /// fail together, as pgx's Batch does. The first error is thrown and nothing is committed.
    public func batch(_ queries: [PGQuery]) async throws -> [PGQueryResult] {
        for query in queries { try Self.validate(query) }
        let results = try await pipelined(queries, syncEach: false)
        return try results.map { try $0.get() }
    }

    private func pipelined(_ queries: [PGQuery], syncEach: Bool) async throws -> [Result<PGQueryResult, PGError>] {
        if queries.isEmpty { return [] }
        // Hold the send lock until everything is written, and read while writing so neither
        // side's buffers can fill up and stall the other.
        await sendLock.lock()
        var sendLocked = true
        defer { if sendLocked { sendLock.unlock() } }
        try await takeReadTurnWhileSending(cancellable: true)
        defer { endRead() }
        var flushed = false
        // Per statement: its cache entry (nil when the cache is off) and known columns.
        var plans: [(key: StatementCache.Key, name: String, isNew: Bool)?] = []
        var known: [PGColumns?] = []
        plans.reserveCapacity(queries.count)
        known.reserveCapacity(queries.count)
        do {
            io.encoder.reset()
            for query in queries {
                var statement = ""
                var parse: (sql: String, types: [PGDataType])? = (query.sql, query.bindings.dataTypes)
                var columns: PGColumns?
                if statementCache.capacity > 0 {
                    let key = StatementCache.Key(sql: query.sql, types: query.bindings.dataTypes)
                    let entry = statementCache.lookup(key)
                    for name in entry.toClose { try io.encoder.closeStatement(name) }
                    statement = entry.name
                    parse = entry.isNew ? parse : nil
                    columns = entry.columns
                    plans.append((key, entry.name, entry.isNew))
                } else {
                    plans.append(nil)
                }
                known.append(columns)
                try Self.encodeExecution(
                    into: &io.encoder, statement: statement, parse: parse, bindings: query.bindings,
                    describe: columns == nil, sync: syncEach)
                if io.encoder.buffer.count >= Self.pipelineChunk {
                    flushed = true
                    try await io.flushWhileReading()
                }
            }
            if !syncEach { io.encoder.sync() }
            try await io.flushWhileReading()
            sendLock.unlock()
            sendLocked = false
            let results = try await readPipelineResults(known: known, syncEach: syncEach)
            // Remember new statements' columns; forget statements whose parse failed.
            for (index, plan) in plans.enumerated() {
                guard let plan else { continue }
                switch results[index] {
                case .success(let result) where known[index] == nil:
                    statementCache.remember(result.columns, for: plan.key, name: plan.name)
                case .failure where plan.isNew:
                    statementCache.evict(plan.key, name: plan.name)
                default:
                    continue
                }
            }
            return results
        } catch {
            io.encoder.reset()
            for case let plan? in plans where plan.isNew { statementCache.evict(plan.key, name: plan.name) }
            if flushed, let error = error as? PGError, error.code == .invalidArgument {
                // Part of the pipeline is already on the wire without its end: the session
                // cannot be brought back in step, so it ends here.
                closedFlag.store(true, ordering: .releasing)
                io.socket.shutdown()
                throw error
            }
            throw failExchange(error)
        }
    }

    /// Reads one result per statement, in order. `known[i]` is statement i's columns when its
    /// portal was not described (a cached statement). With `syncEach`, every statement ends with
    /// its own ReadyForQuery; otherwise one ReadyForQuery ends them all, and after an error the
    /// server skips the rest (their entries repeat that error).
    private func readPipelineResults(known: [PGColumns?], syncEach: Bool) async throws -> [Result<PGQueryResult, PGError>] {
        let count = known.count
        var results: [Result<PGQueryResult, PGError>] = []
        results.reserveCapacity(count)
        var columns = known.first.flatMap { $0 } ?? PGColumns([])
        var rows: [PGRow] = []
        var failure: PGError?
        func finish(_ result: Result<PGQueryResult, PGError>) {
            results.append(result)
            rows = []
            if results.count < count { columns = known[results.count] ?? PGColumns([]) }
        }
        while true {
            switch try await receive(io) {
            case .parseComplete, .bindComplete, .portalSuspended, .closeComplete:
                continue
            case .rowDescription(let descriptions):
                columns = PGColumns(descriptions)
            case .noData:
                columns = PGColumns([])
            case .dataRow(let data):
                rows.append(PGRow(columns: columns, data: data))
            case .commandComplete(let tag):
                finish(.success(PGQueryResult(columns: columns, rows: rows, commandTag: tag)))
            case .emptyQueryResponse:
                finish(.success(PGQueryResult(columns: columns, rows: [], commandTag: "")))
            case .errorResponse(let fields):
                let error = PGError.server(fields)
                failure = error
                finish(.failure(error))
            case .readyForQuery(let status):
                ready(status)
                if !syncEach {
                    // One transaction: after an error every statement failed (or never ran).
                    if let failure { return Array(repeating: .failure(failure), count: count) }
                    return results
                }
                if results.count >= count { return results }
            case let other:
                throw PGError(.protocolViolation, "unexpected \(other.kindName) in a pipeline result")
            }
        }
    }
}
