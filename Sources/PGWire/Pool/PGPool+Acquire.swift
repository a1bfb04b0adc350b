import CoreMetrics
import Logging

extension PGPool {
    /// Runs `body` with a connection of its own, and takes the connection back afterwards,
    /// whatever `body` did with it.
    ///
    /// The connection is the caller's alone until `body` returns: a transaction begun in it
    /// sees no other task's statements. When `body` returns or throws, the connection goes back:
    /// if it was closed or broke it is dropped; if a transaction is still open (or failed) it is
    /// rolled back, and dropped if that fails; if the task was cancelled it is dropped, since a
    /// CancelRequest sent for it may still arrive and hit the next user's statement.
    ///
    /// Do not keep the connection, or a row sequence reading from it, beyond `body`.
    ///
    /// - Throws: what `body` throws; or, acquiring: ``PGError/Code/timeout`` when no connection
    ///   became free within ``Configuration/acquireTimeout``, the connect error when a new
    ///   connection could not be opened, ``PGError/Code/closed`` once the pool is closing, and
    ///   `CancellationError` when the task was cancelled.
    @discardableResult
    public func withConnection<T>(_ body: (PGConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        let result: T
        do {
            result = try await body(connection)
        } catch {
            await release(connection)
            throw error
        }
        await release(connection)
        return result
    }

    /// Runs `body` in a transaction on a connection of its own: commits when it returns, rolls
    /// back when it throws (see ``PGConnection/withTransaction(_:_:)``), then gives the
    /// connection back as ``withConnection(_:)`` does.
    @discardableResult
    public func withTransaction<T>(
        _ options: PGTransactionOptions = PGTransactionOptions(),
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.withTransaction(options, body)
        }
    }

    // MARK: Acquire

    /// Takes a connection: an idle one at once (checked first if it sat idle), else waits in
    /// line for one given back or newly opened, within the acquire timeout.
    func acquire() async throws -> PGConnection {
        if Task.isCancelled { throw CancellationError() }
        let start = ContinuousClock.now
        let deadline = start.advanced(byAtMost: configuration.acquireTimeout)
        var now = start
        while true {
            let (decision, effects) = update { machine, effects in
                machine.acquire(now: now, deadline: deadline, effects: &effects)
            }
            if !effects.isEmpty { await perform(effects) }
            let handout: Handout
            switch decision {
            case .use(let connection, let needsCheck):
                handout = Handout(connection: connection, needsCheck: needsCheck)
            case .wait(let id):
                handout = try await wait(id: id, deadline: deadline)
                if Task.isCancelled {
                    // Cancelled just as a connection arrived: it was not used, so it goes back
                    // as it is (to the next waiter, most likely).
                    await putBack(handout.connection)
                    throw CancellationError()
                }
            case .fail(let failure):
                throw error(for: failure).thrownForm
            }
            let usable = handout.needsCheck ? await check(handout.connection) : true
            if usable {
                metrics.recordAcquire(since: start, now: .now)
                return handout.connection
            }
            // The connection was dead and is gone; try the next one, same deadline.
            now = .now
        }
    }

    /// Waits in line for a connection, until `deadline` or until the task is cancelled.
    private func wait(id: UInt64, deadline: ContinuousClock.Instant) async throws -> Handout {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                let now = ContinuousClock.now
                let (decision, effects) = update { machine, effects -> Machine.Enqueue in
                    // Checked under the lock: a cancellation that ran before this point found
                    // nothing to remove, so it must be noticed here.
                    if Task.isCancelled { return .fail(.cancelled) }
                    return machine.enqueue(waiter, id: id, deadline: deadline, now: now, effects: &effects)
                }
                switch decision {
                case .queued:
                    break
                case .use(let connection, let needsCheck):
                    waiter.resume(returning: Handout(connection: connection, needsCheck: needsCheck))
                case .fail(let failure):
                    if case .timeout = failure { metrics.timeouts.increment() }
                    waiter.resume(throwing: error(for: failure).thrownForm)
                }
                performDetached(effects)
            }
        } onCancel: {
            let (waiter, _) = update { machine, _ in machine.cancelWaiter(id: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Checks a connection that sat idle with an empty query (one round trip, no parse). Its
    /// deadline is the acquire's: the timer closes the connection if the check hangs (a server
    /// host that vanished without closing the socket), which ends the check with an error.
    private func check(_ connection: PGConnection) async -> Bool {
        var healthy = !connection.isClosed
        if healthy {
            do {
                // Not cancellable: a CancelRequest must never outlive the check and hit the
                // next statement.
                _ = try await connection.simpleQuery(";", cancellable: false)
                healthy = connection.transactionStatus == .idle && matchesTarget(connection)
            } catch {
                healthy = false
                logger.debug("idle connection failed its health check", metadata: ["error": "\(error)"])
            }
        }
        let (usable, effects) = update { machine, effects in
            machine.checkFinished(connection, healthy: healthy, effects: &effects)
        }
        if !effects.isEmpty { await perform(effects) }
        return usable
    }

    // MARK: Release

    /// Gives a connection back, first bringing it out of any transaction its borrower left.
    func release(_ connection: PGConnection) async {
        var reusable = !connection.isClosed
        if reusable && Task.isCancelled {
            // A cancelled task may have sent a CancelRequest that has not arrived yet.
            logger.debug("dropping the connection of a cancelled task", metadata: ["pid": "\(connection.processID ?? 0)"])
            reusable = false
        }
        if reusable && connection.transactionStatus != .idle {
            reusable = await rollBack(connection)
        }
        if reusable && !matchesTarget(connection) { reusable = false }
        let now = ContinuousClock.now
        let (_, effects) = update { machine, effects in
            machine.release(connection, reusable: reusable, now: now, effects: &effects)
        }
        if !effects.isEmpty { await perform(effects) }
    }

    /// Whether the connection still is the kind of server the pool's `target_session_attrs`
    /// asks for, by what the server last reported. After a failover the promoted standby and
    /// a primary made read-only say so in ParameterStatus; their connections are retired, and
    /// the next one opened goes through the server list again and finds the right server.
    private func matchesTarget(_ connection: PGConnection) -> Bool {
        let wanted = configuration.connection.targetSessionAttributes
        guard connection.stillMatches(wanted) else {
            logger.debug(
                "retiring a connection whose server is no longer \(wanted.rawValue)",
                metadata: ["server": "\(connection.server)", "pid": "\(connection.processID ?? 0)"])
            return false
        }
        return true
    }

    /// Gives back a connection that was handed out but never used.
    private func putBack(_ connection: PGConnection) async {
        let (_, effects) = update { machine, effects in
            machine.release(connection, reusable: !connection.isClosed, now: .now, effects: &effects)
        }
        if !effects.isEmpty { await perform(effects) }
    }

    /// Rolls back what the borrower left open; true when the connection is clean again.
    private func rollBack(_ connection: PGConnection) async -> Bool {
        logger.debug(
            "rolling back a transaction left open on a returned connection",
            metadata: ["status": "\(connection.transactionStatus)", "pid": "\(connection.processID ?? 0)"])
        do {
            // Not cancellable: should the task be cancelled now, the reset must still finish;
            // bounded: a server that stopped answering loses the connection, not the caller.
            _ = try await connection.simpleQuery("ROLLBACK", cancellable: false, closeAfter: configuration.acquireTimeout)
            return connection.transactionStatus == .idle
        } catch {
            logger.debug("rollback of a returned connection failed", metadata: ["error": "\(error)"])
            return false
        }
    }
}
