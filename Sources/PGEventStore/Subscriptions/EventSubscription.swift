import PGWire

/// A subscription to the store's events: catch-up from where it left off, then live.
///
/// ```swift
/// let subscription = try store.subscribe("orders-view", filter: .category("order"))
/// for try await event in subscription {
///     try await project(event)        // at-least-once: an event may come again after a crash
/// }
/// ```
///
/// Events come in the store's global order, (transaction id, position), and only from
/// transactions below the read barrier, so an event whose transaction commits late is never
/// skipped. A notification from each appending transaction wakes the subscription; it polls
/// every ``SubscriptionOptions/pollInterval`` as well, so a lost notification, a lost listener
/// or a server restart only delays events. Events always come from the table.
///
/// **At-least-once** (iterating): an event counts as handled when the loop asks for the next
/// one. The checkpoint is saved every ``SubscriptionOptions/checkpointEvery`` events, every
/// ``SubscriptionOptions/checkpointInterval``, when caught up, and on ``stop()``; after a crash
/// or a lost connection the events since the last save come again.
///
/// **Exactly-once** (``run(_:)``): the handler gets each batch with the open transaction in
/// which the checkpoint moves: what it writes there commits with the checkpoint, or not at all.
///
/// **One runner per name.** A named subscription runs in one process at a time per share
/// (advisory locks on a connection of its own): a second process with the same name stands by
/// and takes over within ``SubscriptionOptions/rebalanceInterval`` when the first dies. With
/// ``SubscriptionOptions/partitions`` above 1 it is a consumer group: the streams are split by
/// hash into that many shares, the processes running it divide them, and each stream's events
/// are handled by one member at a time, in order.
///
/// It ends (returns nil) after ``stop()``; cancelling the task ends it with `CancellationError`
/// and without saving the events in hand (they come again). Iterate it from one task.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    /// The subscription's name; nil for an unnamed follower (``EventStore/follow(filter:options:)``).
    public let name: String?
    /// Which events it receives.
    public let filter: SubscriptionFilter
    /// How it fetches, checkpoints and shares work.
    public let options: SubscriptionOptions
    let store: EventStore
    let wake = SubscriptionWake()

    init(store: EventStore, name: String?, filter: SubscriptionFilter, options: SubscriptionOptions) {
        self.store = store
        self.name = name
        self.filter = filter
        self.options = options
        store.subscriptionWakes.add(wake)
    }

    func makeEngine() -> SubscriptionEngine {
        SubscriptionEngine(store: store, name: name, filter: filter, options: options, wake: wake)
    }

    /// Iterates the events (at-least-once).
    public struct AsyncIterator: AsyncIteratorProtocol {
        let engine: SubscriptionEngine

        public mutating func next() async throws -> RecordedEvent? {
            try await engine.nextEvent()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let engine = makeEngine()
        engine.prefetching = true
        return AsyncIterator(engine: engine)
    }

    /// Asks the subscription to end: the loop (or ``run(_:)``) saves the checkpoint of what was
    /// handled, gives up its shares and ends after the event or batch in hand. Returns at once.
    public func stop() {
        wake.requestStop()
    }
}
