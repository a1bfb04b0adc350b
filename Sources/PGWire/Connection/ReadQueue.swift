import Synchronization

/// The order in which pipelined exchanges read their answers.
///
/// The server answers requests in the order they were sent. Each exchange takes a ticket when
/// it writes (under the send lock, so ticket order is write order) and reads only when the
/// exchanges before it have read everything up to their ReadyForQuery. Handing over the turn
/// resumes the next reader directly; an uncontended exchange never suspends.
final class ReadQueue: Sendable {
    private struct State {
        var nextTicket: UInt64 = 0
        var turn: UInt64 = 0
        /// Waiting readers by ticket; resumed with true for their turn, false when skipped.
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Tasks waiting until nothing is in flight (the notification watcher).
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// Answers of dropped sequences still on the socket, for the next reader to read first.
        var owedDrains = 0
        /// Tickets whose tasks were cancelled while waiting: passed over when their turn comes,
        /// owing a drain when a request was sent under them (`true`).
        var skipped: [UInt64: Bool] = [:]
    }

    private let state = Mutex(State())
    /// Mirrors `owedDrains > 0`, so that every exchange's check costs one atomic load.
    private let owesDrain = Atomic(false)

    /// The next ticket, in write order. Call while holding the send lock, after writing.
    func take() -> UInt64 {
        state.withLock { state in
            defer { state.nextTicket += 1 }
            return state.nextTicket
        }
    }

    /// Returns when `ticket` may read.
    func waitForTurn(_ ticket: UInt64) async {
        if state.withLock({ $0.turn == ticket }) { return }
        _ = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now = state.withLock { state -> Bool in
                if state.turn == ticket { return true }
                state.waiters[ticket] = continuation
                return false
            }
            if now { continuation.resume(returning: true) }
        }
    }

    /// Returns when `ticket` may read, or throws `CancellationError` as soon as the task
    /// is cancelled. A cancelled ticket is passed over when its turn comes; `requestSent` says
    /// whether a request went out under it, whose answer the next reader then reads and
    /// discards (``PGConnection/settleAbandoned()``).
    func waitForTurn(_ ticket: UInt64, requestSent: Bool) async throws {
        if state.withLock({ $0.turn == ticket }) { return }
        let gotTurn = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    if state.turn == ticket { return true }
                    if Task.isCancelled {
                        state.skipped[ticket] = requestSent
                        return false
                    }
                    state.waiters[ticket] = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                // Gone already when the turn came first: then the turn is ours.
                guard let waiter = state.waiters.removeValue(forKey: ticket) else { return nil }
                state.skipped[ticket] = requestSent
                return waiter
            }
            waiter?.resume(returning: false)
        }
        if !gotTurn {
            throw CancellationError()
        }
    }

    /// Ends the current reader's turn and wakes the next one if it is waiting (and, when that
    /// leaves nothing in flight, the tasks waiting for idleness).
    func advance(owingDrain: Bool = false) {
        let (next, idle) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, [CheckedContinuation<Void, Never>]) in
            if owingDrain { state.owedDrains += 1 }
            defer { owesDrain.store(state.owedDrains > 0, ordering: .releasing) }
            state.turn += 1
            // Cancelled waiters' tickets are passed over; their answers are owed drains.
            while let sent = state.skipped.removeValue(forKey: state.turn) {
                if sent { state.owedDrains += 1 }
                state.turn += 1
            }
            let next = state.waiters.removeValue(forKey: state.turn)
            guard !state.idleWaiters.isEmpty, state.turn == state.nextTicket else { return (next, []) }
            defer { state.idleWaiters.removeAll() }
            return (next, state.idleWaiters)
        }
        next?.resume(returning: true)
        for waiter in idle { waiter.resume() }
    }

    /// Returns once no exchange has a request in flight (at once if none has).
    func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.turn == state.nextTicket { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Takes one owed drain (see ``advance(owingDrain:)``); false when none is owed.
    func takeOwedDrain() -> Bool {
        guard owesDrain.load(ordering: .acquiring) else { return false }
        return state.withLock { state in
            guard state.owedDrains > 0 else { return false }
            state.owedDrains -= 1
            owesDrain.store(state.owedDrains > 0, ordering: .releasing)
            return true
        }
    }

    /// True when a dropped exchange's answer waits to be read (one atomic load).
    var hasOwedDrain: Bool { owesDrain.load(ordering: .acquiring) }

    /// True when no exchange has a request in flight.
    var isIdle: Bool { state.withLock { $0.turn == $0.nextTicket } }
}
