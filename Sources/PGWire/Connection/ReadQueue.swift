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
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Tasks waiting until nothing is in flight (the notification watcher).
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// Answers of dropped sequences still on the socket, for the next reader to read first.
        var owedDrains = 0
    }

    private let state = Mutex(State())

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
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.turn == ticket { return true }
                state.waiters[ticket] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Ends the current reader's turn and wakes the next one if it is waiting (and, when that
    /// leaves nothing in flight, the tasks waiting for idleness).
    func advance(owingDrain: Bool = false) {
        let (next, idle) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            if owingDrain { state.owedDrains += 1 }
            state.turn += 1
            let next = state.waiters.removeValue(forKey: state.turn)
            guard !state.idleWaiters.isEmpty, state.turn == state.nextTicket else { return (next, []) }
            defer { state.idleWaiters.removeAll() }
            return (next, state.idleWaiters)
        }
        next?.resume()
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
        state.withLock { state in
            guard state.owedDrains > 0 else { return false }
            state.owedDrains -= 1
            return true
        }
    }

    /// True when no exchange has a request in flight.
    var isIdle: Bool { state.withLock { $0.turn == $0.nextTicket } }
}
