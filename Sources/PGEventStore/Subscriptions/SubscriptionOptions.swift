public import PGWire

/// How a subscription fetches, checkpoints, shares its work and treats a failing handler.
public struct SubscriptionOptions: Sendable {
    /// Where to start when the subscription has no checkpoint yet. Default ``SubscriptionStart/start``.
    public var start: SubscriptionStart
    /// Events fetched per query, and so the most held in memory (two batches while the next
    /// one is fetched ahead). Default 1,000.
    public var batchSize: Int
    /// An at-least-once subscription saves its checkpoint after this many handled events...
    /// Default 1,000.
    public var checkpointEvery: Int
    /// ...or when this long has passed since the last save with events handled since, and
    /// always when it has caught up and waits for new events, and on ``EventSubscription/stop()``.
    /// Default 1 s. (The exactly-once form saves with every batch, in the batch's transaction.)
    public var checkpointInterval: Duration
    /// A notification from an appending transaction wakes the subscription at once; without
    /// one it still looks for new events this often, so a lost notification delays an event by
    /// at most this much. Default 1 s.
    public var pollInterval: Duration
    /// How often a member checks who else runs the subscription: a standby takes over a dead
    /// runner's shares, and shares move to a member that joined, within about this long.
    /// Default 1 s.
    public var rebalanceInterval: Duration
    /// Shares of a consumer group: the streams are split by a hash of their name into this
    /// many shares, each with its own checkpoint, and the members running the subscription
    /// divide the shares among themselves. 1 (the default) means one runner at a time, with
    /// every other process a standby. Fixed when the subscription is first created; up to
    /// this many members do work, more stand by.
    public var partitions: Int
    /// How the exactly-once handler form treats a handler that throws.
    public var retry: SubscriptionRetry
    /// The waits between attempts to reconnect after the connection was lost. Default from
    /// 50 ms, doubling up to 2 s.
    public var reconnectBackoff: ReconnectBackoff
    /// The bound on each of the subscription's own statements (fetches, checkpoints, locks):
    /// past it the statement is cancelled, and a server that does not answer at all is taken
    /// for lost, so a dead connection is noticed and replaced. Not applied to what a handler
    /// runs. Default 10 s.
    public var queryTimeout: Duration

    /// Options with the defaults described on each property.
    public init(
        start: SubscriptionStart = .start, batchSize: Int = 1_000, checkpointEvery: Int = 1_000,
        checkpointInterval: Duration = .seconds(1), pollInterval: Duration = .seconds(1),
        rebalanceInterval: Duration = .seconds(1), partitions: Int = 1, retry: SubscriptionRetry = SubscriptionRetry(),
        reconnectBackoff: ReconnectBackoff = ReconnectBackoff(initial: .milliseconds(50), maximum: .seconds(2)),
        queryTimeout: Duration = .seconds(10)
    ) {
        self.queryTimeout = queryTimeout
        self.start = start
        self.batchSize = batchSize
        self.checkpointEvery = checkpointEvery
        self.checkpointInterval = checkpointInterval
        self.pollInterval = pollInterval
        self.rebalanceInterval = rebalanceInterval
        self.partitions = partitions
        self.retry = retry
        self.reconnectBackoff = reconnectBackoff
    }

    /// Refuses values the subscription cannot run with.
    func validate() throws(EventStoreError) {
        func require(_ condition: Bool, _ what: String) throws(EventStoreError) {
            if !condition { throw EventStoreError(.invalidArgument, "subscription options: \(what)") }
        }
        try require(batchSize >= 1 && batchSize <= 1_000_000, "batchSize must be 1 to 1,000,000, got \(batchSize)")
        try require(checkpointEvery >= 1, "checkpointEvery must be at least 1, got \(checkpointEvery)")
        try require(partitions >= 1 && partitions <= 1_024, "partitions must be 1 to 1,024, got \(partitions)")
        try require(pollInterval > .zero, "pollInterval must be positive")
        try require(rebalanceInterval > .zero, "rebalanceInterval must be positive")
        try require(checkpointInterval >= .zero, "checkpointInterval must not be negative")
        try require(queryTimeout >= .milliseconds(1), "queryTimeout must be at least 1 ms")
        try require(retry.maxAttempts >= 1, "retry.maxAttempts must be at least 1, got \(retry.maxAttempts)")
    }
}

/// What the exactly-once handler form does when the handler throws.
///
/// - A handler error is retried: the transaction is rolled back and the same batch is handled
///   again after ``backoff``, up to ``maxAttempts`` times in all.
/// - When a batch of several events still fails, its events are handled one at a time, so the
///   events before the failing one are applied.
/// - An event that fails ``maxAttempts`` times on its own is a poison event: with
///   ``onPoison`` `.park` it is recorded in `subscription_parked` (with the error's text) in the
///   same transaction that moves the checkpoint past it, and the subscription goes on; with
///   `.stop` the subscription ends, throwing ``EventStoreError/Code/handlerFailed``.
/// - Never retried, and ending the subscription at once: `CancellationError` (the task was
///   cancelled) and ``SubscriptionStop`` (the handler asks to stop; the batch is rolled back).
/// - Not handler errors: a lost connection (the subscription reconnects and handles the
///   batch again from its checkpoint, nothing of it committed) and errors of the store's own
///   queries, which end the subscription.
public struct SubscriptionRetry: Sendable {
    /// What to do with an event that failed every attempt.
    @nonexhaustive
    public enum PoisonPolicy: Sendable, Hashable {
        /// Record it in `subscription_parked`, move past it and go on.
        case park
        /// End the subscription with ``EventStoreError/Code/handlerFailed``.
        case stop
    }

    /// Attempts per batch and per event, the first included. Default 3.
    public var maxAttempts: Int
    /// The wait before each further attempt. Default 100 ms.
    public var backoff: Duration
    /// Default ``PoisonPolicy/park``.
    public var onPoison: PoisonPolicy

    /// A policy; the defaults: 3 attempts, 100 ms apart, then park.
    public init(maxAttempts: Int = 3, backoff: Duration = .milliseconds(100), onPoison: PoisonPolicy = .park) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.onPoison = onPoison
    }
}

/// Thrown by an exactly-once handler to end its subscription: the batch's transaction is rolled
/// back, and ``EventSubscription/run(_:)`` returns without an error.
public struct SubscriptionStop: Error, Sendable {
    /// The stop request.
    public init() {}
}
