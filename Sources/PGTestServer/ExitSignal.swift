import Dispatch
import Synchronization

/// Tells waiters that a process has exited.
final class ExitSignal: Sendable {
    private let fired = Mutex(false)
    private let semaphore = DispatchSemaphore(value: 0)

    var hasFired: Bool {
        fired.withLock { $0 }
    }

    func fire() {
        fired.withLock { $0 = true }
        semaphore.signal()
    }

    /// Waits up to `timeout` for the exit; returns whether it happened.
    func wait(timeout: Duration) -> Bool {
        if hasFired { return true }
        guard semaphore.wait(timeout: .now() + timeout.dispatchInterval) == .success else { return false }
        semaphore.signal()  // for the next waiter
        return true
    }
}

extension Duration {
    /// This duration for Dispatch's deadlines.
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        guard seconds < 1_000_000_000 else { return .never }
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
