import Synchronization

/// A FIFO lock for async code: one protocol exchange at a time on a connection.
///
/// The uncontended path takes and releases a `Mutex` and never suspends, so a lone task
/// pays no thread hop. Waiters suspend and are handed the lock in arrival order; a waiter
/// whose task is cancelled leaves the line at once (``lockUnlessCancelled()``).
final class ExchangeLock: Sendable {
    private struct State {
        var locked = false
        /// Waiters in arrival order, each resumed with true when handed the lock, false when
        /// its task was cancelled first.
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var head = 0
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func lock() async {
        _ = await acquire(cancellable: false)
    }

    /// Takes the lock, or throws `CancellationError` as soon as the task is cancelled.
    func lockUnlessCancelled() async throws {
        guard await acquire(cancellable: true) else { throw CancellationError() }
    }

    private func acquire(cancellable: Bool) async -> Bool {
        let acquired = state.withLock { state -> Bool in
            if state.locked { return false }
            state.locked = true
            return true
        }
        if acquired { return true }
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        let wait = {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = self.state.withLock { state -> Bool? in
                    // The holder may have released between our first look and now.
                    if !state.locked {
                        state.locked = true
                        return true
                    }
                    if cancellable && Task.isCancelled { return false }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        }
        guard cancellable else { return await wait() }
        return await withTaskCancellationHandler {
            await wait()
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiters[state.head...].firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// Takes the lock only if it is free right now.
    func tryLock() -> Bool {
        state.withLock { state in
            if state.locked { return false }
            state.locked = true
            return true
        }
    }

    /// Releases the lock, handing it directly to the oldest waiter if there is one.
    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.head < state.waiters.count {
                let next = state.waiters[state.head].continuation
                state.head += 1
                if state.head == state.waiters.count {
                    state.waiters.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                return next  // stays locked: ownership passes to `next`
            }
            state.locked = false
            return nil
        }
        next?.resume(returning: true)
    }

    func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
