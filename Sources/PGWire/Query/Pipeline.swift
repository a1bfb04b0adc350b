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
        let outcome = try await pipelined(queries, syncEach: true)
        // A cancelled task's pipeline throws CancellationError as a whole rather than one entry
        // per statement: the caller asked to stop (the connection is in step either way).
        if outcome.failures.values.contains(where: { $0.code == .cancelled }) { throw CancellationError() }
        if outcome.failures.isEmpty { return outcome.results.map { .success($0) } }
        return outcome.results.indices.map { index in
            if let failure = outcome.failures[index] { return .failure(failure) }
            return .success(outcome.results[index])
        }
    }

    /// Sends every query at once with a single Sync: they run as one implicit transaction and
    /// fail together, as pgx's Batch does. The first error is thrown and nothing is committed.
    public func batch(_ queries: [PGQuery]) async throws -> [PGQueryResult] {
        for query in queries { try Self.validate(query) }
        let outcome = try await pipelined(queries, syncEach: false)
        if let failure = outcome.firstFailure { throw failure.thrownForm }
        return outcome.results
    }

    /// What a pipeline read: a result per statement (empty for a failed one) and the failures
    /// by statement index.
    private struct PipelineOutcome {
        var results: [PGQueryResult] = []
        var failures: [Int: PGError] = [:]
        var firstFailure: PGError? { failures.isEmpty ? nil : failures.min { $0.key < $1.key }?.value }
    }

    /// A statement parsed in this pipeline: remembered once described, forgotten if it failed.
    private struct NewStatement {
        let index: Int
        let key: StatementCache.Key
        let name: String
    }

    private func pipelined(_ queries: [PGQuery], syncEach: Bool) async throws -> PipelineOutcome {
        if queries.isEmpty { return PipelineOutcome() }
        // Hold the send lock until everything is written, and read while writing so neither
        // side's buffers can fill up and stall the other.
        try await lockForSending(cancellable: true)
        var sendLocked = true
        defer { if sendLocked { sendLock.unlock() } }
        try await takeReadTurnWhileSending(cancellable: true, budget: queryBudget())
        defer { endRead() }
        var flushed = false
        var newStatements: [NewStatement] = []
        // Per statement: its columns when the cache knows them (its portal is not described).
        var known: [PGColumns?] = []
        known.reserveCapacity(queries.count)
        // The previous statement's plan: a pipeline usually repeats one statement, and reusing
        // the plan skips hashing its SQL and taking the cache's lock.
        var previousSQL: String?
        var previousTypes: [PGDataType] = []
        var previousName = ""
        var previousColumns: PGColumns?
        do {
            io.encoder.reset()
            for (index, query) in queries.enumerated() {
                var statement = ""
                var parse: (sql: String, types: [PGDataType])? = (query.sql, query.bindings.dataTypes)
                var columns: PGColumns?
                if previousSQL == query.sql, previousTypes == query.bindings.dataTypes {
                    statement = previousName
                    parse = nil
                    columns = previousColumns
                } else if statementCache.capacity > 0 {
                    let key = StatementCache.Key(sql: query.sql, types: query.bindings.dataTypes)
                    let entry = statementCache.lookup(key)
                    for name in entry.toClose { try io.encoder.closeStatement(name) }
                    statement = entry.name
                    columns = entry.columns
                    if entry.isNew {
                        newStatements.append(NewStatement(index: index, key: key, name: entry.name))
                    } else {
                        parse = nil
                    }
                    previousSQL = query.sql
                    previousTypes = query.bindings.dataTypes
                    previousName = entry.name
                    previousColumns = columns
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
            let outcome = try await readPipelineResults(known: known, syncEach: syncEach)
            // Remember new statements' columns; forget statements whose parse failed.
            for statement in newStatements {
                if outcome.failures[statement.index] != nil {
                    statementCache.evict(statement.key, name: statement.name)
                } else {
                    statementCache.remember(
                        outcome.results[statement.index].columns, for: statement.key, name: statement.name)
                }
            }
            return outcome
        } catch {
            io.encoder.reset()
            for statement in newStatements { statementCache.evict(statement.key, name: statement.name) }
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

    /// Reads one result per statement, in order, as ``PipelineMachine`` checks them.
    /// `known[i]` is statement i's columns when its portal was not described (a cached
    /// statement).
    private func readPipelineResults(known: [PGColumns?], syncEach: Bool) async throws -> PipelineOutcome {
        var machine = PipelineMachine(known: known, syncEach: syncEach)
        while true {
            switch try machine.receive(try await receive(io)) {
            case .read:
                continue
            case .finished(let answers):
                ready(answers.status)
                var outcome = PipelineOutcome()
                outcome.results = answers.results
                outcome.failures = answers.failures.mapValues { serverError($0) }
                return outcome
            }
        }
    }
}
