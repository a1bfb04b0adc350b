import Synchronization

/// What wakes a waiting subscription: a notification from an appending transaction, a lost
/// listener, a stop request, or the end of its wait. Sendable: the listening task and
/// ``EventSubscription/stop()`` signal it from other tasks.
final class SubscriptionWake: Sendable {
    private struct State {
        /// A signal came since the last wait began.
        var signalled = false
        var stopRequested = false
        /// A subscription's checkpoints were reset by hand since the last ``takeReset()``.
        var reset = false
        /// The highest transaction id an append notification named.
        var latestTransaction: UInt64 = 0
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextID: UInt64 = 0
        /// A wait whose timer or cancellation fired before the wait had parked.
        var ended: UInt64?
    }

    private let state = Mutex(State())

    /// Wakes the waiter; `transaction` is the appending transaction a notification named.
    func signal(transaction: UInt64? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let transaction { state.latestTransaction = max(state.latestTransaction, transaction) }
            state.signalled = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }

    /// Asks the subscription to save its checkpoint and end.
    func requestStop() {
        state.withLock { $0.stopRequested = true }
        signal()
    }

    var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Notes that some subscription's checkpoints were reset, and wakes the waiter.
    func signalReset() {
        state.withLock { $0.reset = true }
        signal()
    }

    /// True once after each ``signalReset()``.
    func takeReset() -> Bool {
        state.withLock { state in
            defer { state.reset = false }
            return state.reset
        }
    }

    /// The highest transaction id notified so far.
    var latestTransaction: UInt64 { state.withLock { $0.latestTransaction } }

    /// A signal (or a stop) came since the last ``clear()``.
    var isSignalled: Bool { state.withLock { $0.signalled || $0.stopRequested } }

    /// Forgets signals that came before now (the caller is about to look at the table anyway).
    func clear() { state.withLock { $0.signalled = false } }

    /// Returns when signalled (at once if a signal came since the last ``clear()``), when
    /// `timeout` has passed, or when the task is cancelled.
    func wait(timeout: Duration) async {
        let id: UInt64? = state.withLock { state in
            if state.signalled || state.stopRequested { return nil }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled || state.stopRequested || state.ended == id || Task.isCancelled { return true }
                    state.waiter = (id, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            resume(id)
        }
        timer.cancel()
    }

    /// Resumes the waiter `id` if it still waits.
    private func resume(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.id == id else {
                state.ended = id
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
