import Logging
public import PGWire

extension EventSubscription {
    /// Runs the subscription exactly-once: `handler` gets each batch of events with the open
    /// transaction in which the subscription's checkpoint moves past them, so what it writes
    /// there (a read model, an outbox) commits together with the checkpoint or not at all.
    ///
    /// ```swift
    /// try await store.subscribe("order-totals", filter: .category("order")).run { events, transaction in
    ///     for event in events {
    ///         try await transaction.execute("INSERT INTO totals ... ON CONFLICT ...", [...])
    ///     }
    /// }
    /// ```
    ///
    /// Run `transaction`'s statements from the handler's task only, and do not commit or roll
    /// back yourself. A handler that throws is treated as ``SubscriptionOptions/retry`` says:
    /// retried, then narrowed down to the failing event, which is parked or stops the
    /// subscription. A lost connection is not the handler's failure: nothing of the batch
    /// committed, and it comes again after reconnecting.
    ///
    /// It returns after ``stop()``, or when the handler throws ``SubscriptionStop``.
    /// - Throws: `CancellationError` when the task is cancelled (the batch in hand rolled back);
    ///   ``EventStoreError/Code/handlerFailed`` for a poison event under the `.stop` policy;
    ///   errors of the store's own statements that a reconnect cannot cure.
    public func run(_ handler: (_ events: [RecordedEvent], _ transaction: PGConnection) async throws -> Void) async throws {
        let engine = makeEngine()
        engine.beginsWithFetch = true
        do {
            let runner = ExactlyOnceRunner(engine: engine)
            while let batch = try await engine.nextBatch() {
                try await runner.handle(batch, handler)
            }
        } catch is SubscriptionStop {
            try await engine.finish()
        } catch {
            await engine.abandon()
            throw error
        }
    }
}

/// The handler failed (as opposed to the store's own statements).
private struct HandlerFailure: Error {
    let error: any Error
}

/// Handles batches in transactions with their checkpoints, with the retry policy.
private struct ExactlyOnceRunner {
    typealias Handler = (_ events: [RecordedEvent], _ transaction: PGConnection) async throws -> Void
    let engine: SubscriptionEngine

    private enum Outcome {
        case committed
        /// Nothing committed, for reasons that are not the handler's (connection lost,
        /// checkpoint moved): the next fetch starts from the table.
        case abandoned
        case failed(any Error)
    }

    var retry: SubscriptionRetry { engine.options.retry }

    func handle(_ batch: SubscriptionBatch, _ handler: Handler) async throws {
        var attempt = 1
        while true {
            switch try await handleOnce(batch.events, through: batch.through, handler) {
            case .committed, .abandoned: return
            case .failed(let error):
                engine.logger.debug(
                    "subscription handler failed", metadata: ["attempt": "\(attempt)", "events": "\(batch.events.count)", "error": "\(error)"])
                if attempt < retry.maxAttempts {
                    attempt += 1
                    try await Task.sleep(for: retry.backoff)
                    continue
                }
                if batch.events.count > 1 {
                    try await handleOneByOne(batch, handler)
                } else {
                    try await poison(batch.events[0], through: batch.through, error: error, attempts: attempt)
                }
                return
            }
        }
    }

    /// Handles a failing batch event by event, so the events before the poison one apply.
    private func handleOneByOne(_ batch: SubscriptionBatch, _ handler: Handler) async throws {
        for (index, event) in batch.events.enumerated() {
            let through = index == batch.events.count - 1 ? batch.through : event.event.globalPosition
            var attempt = 1
            while true {
                switch try await handleOnce([event], through: through, handler) {
                case .committed: break
                case .abandoned: return
                case .failed(let error):
                    if attempt < retry.maxAttempts {
                        attempt += 1
                        try await Task.sleep(for: retry.backoff)
                        continue
                    }
                    try await poison(event, through: through, error: error, attempts: attempt)
                }
                break
            }
            if engine.connection == nil { return }
        }
    }

    /// One attempt: the handler and the checkpoint in one transaction. The checkpoint's
    /// statement goes with the COMMIT in one round trip: the transaction (which holds back
    /// the read barrier for every other subscriber once it has written) stays open no longer
    /// than the server needs.
    private func handleOnce(_ events: [SubscribedEvent], through: GlobalPosition, _ handler: Handler) async throws -> Outcome {
        guard let connection = engine.connection else { return .abandoned }
        let save = try engine.saveStatement(engine.checkpoints(after: SubscriptionBatch(events: events, through: through)))
        let started = ContinuousClock.now
        do {
            try await inTransaction(on: connection, begun: engine.takeOpenTransaction(), then: save) {
                do {
                    try await handler(events.map(\.event), connection)
                } catch {
                    throw HandlerFailure(error: error)
                }
            }
            if let save { engine.recordSaved(save) }
            engine.metrics.handled(in: ContinuousClock.now - started)
            return .committed
        } catch {
            return try await outcome(of: error)
        }
    }

    /// BEGIN (unless `begun`: the fetch sent it), `body`, then `save` and COMMIT in one round
    /// trip; ROLLBACK when anything fails
    /// (and if that fails too, the caller's outcome closes the connection: the server rolls
    /// back what a closed session left open).
    private func inTransaction(
        on connection: PGConnection, begun: Bool = false, then save: CheckpointSave?, _ body: () async throws -> Void
    ) async throws {
        if !begun { _ = try await connection.simpleQuery("BEGIN") }
        do {
            try await body()
            var ending = [PGQuery("COMMIT")]
            if let save { ending.insert(save.query, at: 0) }
            let results = try await engine.ownQuery { try await connection.batch(ending) }
            if results.last?.commandTag == "ROLLBACK" {
                throw PGError(.transactionRolledBack, "COMMIT rolled the batch back: a statement of the handler failed unnoticed")
            }
        } catch {
            if !connection.isClosed, connection.transactionStatus != .idle {
                do { _ = try await connection.simpleQuery("ROLLBACK") } catch { await connection.close() }
            }
            if let pgError = error as? PGError, pgError.sqlState == SubscriptionStatements.checkpointMovedState {
                throw CheckpointMoved()
            }
            throw error
        }
    }

    /// Sorts an attempt's error: the handler's (retried), a lost connection or moved checkpoint
    /// (abandoned), a stop or cancellation (rethrown), the store's own (rethrown).
    private func outcome(of error: any Error) async throws -> Outcome {
        var error = error
        if let transactionError = error as? PGTransactionError { error = transactionError.error }
        if engine.isConnectionLoss(error) {
            engine.dropConnection()
            return .abandoned
        }
        if error is CheckpointMoved {
            try await engine.reloadCheckpoints()
            return .abandoned
        }
        if let failure = error as? HandlerFailure {
            if failure.error is CancellationError || failure.error is SubscriptionStop { throw failure.error }
            return .failed(failure.error)
        }
        // The store's own statement or the COMMIT failed: what the engine believes saved may
        // not be; read the checkpoints again before giving up.
        try? await engine.reloadCheckpoints()
        throw error
    }

    /// Parks `event` (or stops, as the policy says): recorded with its error, and the
    /// checkpoint moved past it, in one transaction.
    private func poison(_ event: SubscribedEvent, through: GlobalPosition, error: any Error, attempts: Int) async throws {
        guard retry.onPoison == .park else {
            throw EventStoreError(
                .handlerFailed, "the handler of subscription \(engine.name ?? "") failed \(attempts) times on the event at \(event.event.globalPosition)",
                stream: event.event.stream, underlying: error)
        }
        guard let connection = engine.connection, let name = engine.name else { return }
        let save = try engine.saveStatement(engine.checkpoints(after: SubscriptionBatch(events: [], through: through)))
        do {
            let park = try PGQuery(engine.statements.park, [
                name, event.event.position, Int64(bitPattern: event.event.transactionID), event.event.id, event.event.stream,
                event.event.type, Int32(clamping: attempts), String(describing: error),
            ])
            try await inTransaction(on: connection, then: save) { _ = try await connection.execute(park) }
            if let save { engine.recordSaved(save) }
            engine.metrics.parkedOne()
            engine.logger.debug(
                "subscription parked a poison event",
                metadata: ["position": "\(event.event.position)", "stream": "\(event.event.stream)", "error": "\(error)"])
        } catch {
            _ = try await outcome(of: error)
        }
    }
}
