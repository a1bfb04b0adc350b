import Synchronization

/// The wakes of a store's subscriptions, held weakly, so that closing the store stops them.
final class SubscriptionWakes: Sendable {
    private struct Entry {
        weak var wake: SubscriptionWake?
    }

    private let entries = Mutex<[Entry]>([])

    func add(_ wake: SubscriptionWake) {
        entries.withLock { entries in
            entries.removeAll { $0.wake == nil }
            entries.append(Entry(wake: wake))
        }
    }

    func stopAll() {
        for entry in entries.withLock({ $0 }) { entry.wake?.requestStop() }
    }
}
