import CoreMetrics
import Logging
import Synchronization

extension PGPool {
    /// Carries out what the state machine decided, outside the lock: resume and fail waiters
    /// first (they should not wait for socket work), start connects and the timer, then close
    /// connections, and only then tell ``close(deadline:)`` callers that closing is over.
    ///
    /// Callers skip the call when `effects.isEmpty` (the common case): even an empty async
    /// call costs a frame on the hot path.
    func perform(_ effects: Machine.Effects) async {
        let (toClose, interrupt, closeFinished) = performWithoutWaiting(effects)
        await finish(closing: toClose, interrupting: interrupt, closeFinished: closeFinished)
    }

    /// Performs `effects` where the caller cannot wait: the closing (rarely any) runs in a task,
    /// each connection closed as the state machine said (an idle one is not sent a
    /// CancelRequest).
    func performDetached(_ effects: Machine.Effects) {
        let (toClose, interrupt, closeFinished) = performWithoutWaiting(effects)
        if toClose.isEmpty && interrupt.isEmpty && !closeFinished { return }
        Task { await self.finish(closing: toClose, interrupting: interrupt, closeFinished: closeFinished) }
    }

    /// The asynchronous part of ``perform(_:)``: idle connections are closed (Terminate), lent
    /// ones are interrupted (CancelRequest, then closed), and closing may then be over.
    private func finish(closing toClose: [PGConnection], interrupting interrupt: [PGConnection], closeFinished: Bool) async {
        for connection in toClose {
            await connection.close()
        }
        for connection in interrupt {
            logger.debug("closing a borrowed connection", metadata: ["pid": "\(connection.processID ?? 0)"])
            // A statement still running would go on on the server after the socket closes
            // (PostgreSQL notices a gone client only when it next writes): cancel it too, so
            // that its locks and its session end now. Nothing can follow it on this connection.
            connection.cancelInBackground()
            await connection.close()
        }
        if closeFinished { finishClose() }
    }

    /// The synchronous part of ``perform(_:)``; returns what is left to do.
    private func performWithoutWaiting(
        _ effects: Machine.Effects
    ) -> (close: [PGConnection], interrupt: [PGConnection], closeFinished: Bool) {
        var close: [PGConnection] = []
        var interrupt: [PGConnection] = []
        var closeFinished = false
        var timer: Machine.TimerStart?
        for effect in effects.list {
            switch effect {
            case .resume(let waiter, let connection):
                waiter.resume(returning: Handout(connection: connection, needsCheck: false))
            case .fail(let waiter, let failure):
                if case .timeout = failure { metrics.timeouts.increment() }
                waiter.resume(throwing: error(for: failure))
            case .connect(let deadline):
                startConnect(until: deadline)
            case .timer(let start):
                timer = start  // only the last one counts
            case .close(let connection):
                close.append(connection)
            case .interrupt(let connection):
                interrupt.append(connection)
            case .closeFinished:
                closeFinished = true
            }
        }
        if let timer { startTimer(timer) }
        if !close.isEmpty {
            metrics.closed.increment(by: close.count)
            logger.debug("closing pool connections", metadata: ["count": "\(close.count)"])
        }
        return (close, interrupt, closeFinished)
    }

    /// Closing is over: wakes everyone waiting in ``close(deadline:)`` and stops the timer.
    private func finishClose() {
        let (waiters, timer) = guts.withLock { guts in
            guts.closeCompleted = true
            defer {
                guts.closeWaiters = []
                guts.timer = nil
            }
            return (guts.closeWaiters, guts.timer)
        }
        timer?.cancel()
        for waiter in waiters { waiter.resume() }
        logger.debug("pool closed")
    }
}
