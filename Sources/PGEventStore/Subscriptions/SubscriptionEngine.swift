import CoreMetrics
import Logging
import PGWire

/// An event fetched for a subscription, with the share its stream belongs to.
struct SubscribedEvent: Sendable {
    let event: RecordedEvent
    let share: Int32
}

/// Where one held share stands.
struct ShareCheckpoint: Sendable, Equatable {
    /// As in the table, as far as this runner knows.
    var saved: GlobalPosition
    /// Handled (at-least-once: confirmed by the consumer) up to here; saved on the next save.
    var handled: GlobalPosition
    /// Events of this share handled since the last save.
    var handledSinceSave: Int64 = 0
}

/// A batch handed to the consumer: its events, and the place every held share reaches once
/// they are handled (the last event's place, or the read barrier when the batch ended below it).
struct SubscriptionBatch: Sendable {
    let events: [SubscribedEvent]
    let through: GlobalPosition
}

/// The state of one running subscription: its connection, the shares it holds and their
/// checkpoints, the batch being handed out. One task uses it at a time (the one iterating or
/// running the subscription); other tasks reach it only through ``SubscriptionWake``.
final class SubscriptionEngine {
    let store: EventStore
    /// nil for an unnamed follower: no checkpoint, no locks.
    let name: String?
    let filter: SubscriptionFilter
    let options: SubscriptionOptions
    let statements: SubscriptionStatements
    let locks: SubscriptionLocks?
    let wake: SubscriptionWake
    let metrics: SubscriptionMetrics
    let logger: Logger
    let fetchSQL: String
    let clock = ContinuousClock()

    var connection: PGConnection?
    /// The connection that fetches events when the store reads from a standby; nil otherwise.
    var readConnection: PGConnection?
    var listening: Task<Void, Never>?
    var memberID: Int32?
    /// The member id (backend pid) of a connection this runner lost: its session may live on
    /// at the server (a network path that died without a reset), holding the shares' locks
    /// until the server notices; the next connection ends it.
    var previousMemberID: Int32?
    /// Connection losses in a row (for the backoff); reset by a successful fetch.
    var failures = 0
    /// The shares this runner holds, with their checkpoints.
    var shares: [Int32: ShareCheckpoint] = [:]
    /// The next fetch reads after this place.
    var cursor = GlobalPosition.start
    /// Set once the start of an unnamed follower, or the rows of a named subscription, exist.
    var started = false
    var batch = SubscriptionBatch(events: [], through: .start)
    var batchIndex = 0
    /// The at-least-once event handed out last, confirmed by the next call.
    var handedOut: SubscribedEvent?
    /// Events confirmed since the checkpoint was last saved.
    var unsavedEvents = 0
    var lastSave: ContinuousClock.Instant
    var nextRebalance: ContinuousClock.Instant
    /// The newest notified transaction when the checkpoints were last saved.
    var notifiedAtSave: UInt64 = 0
    /// The short, growing wait used while a notified transaction is still above the barrier.
    var barrierRetry: Duration?
    var finished = false
    /// Whether a full batch starts the fetch of the next one (the at-least-once form; the
    /// exactly-once handler shares the connection with its transaction, so it does not).
    var prefetching = false
    /// The next batch, fetched while the current one is handled.
    var prefetch: Prefetch?
    /// The exactly-once form: each fetch goes with a BEGIN (``fetchAndBegin(_:on:)``).
    var beginsWithFetch = false
    /// That BEGIN succeeded and no batch has taken the transaction yet.
    var transactionOpen = false
    /// Set when the batch in hand ended below this barrier (a short fetch): the next fetch
    /// waits for a notification first.
    var caughtUpBelow: UInt64?

    init(store: EventStore, name: String?, filter: SubscriptionFilter, options: SubscriptionOptions, wake: SubscriptionWake) {
        self.store = store
        self.name = name
        self.filter = filter
        self.options = options
        self.statements = SubscriptionStatements(schema: store.schema)
        self.locks = name.map { SubscriptionLocks(schema: store.schema, subscription: $0) }
        self.wake = wake
        self.metrics = SubscriptionMetrics(subscription: name ?? "", factory: store.configuration.metricsFactory ?? MetricsSystem.factory)
        var logger = store.configuration.logger
        logger[metadataKey: "subscription"] = .string(name ?? "(unnamed)")
        self.logger = logger
        self.fetchSQL = statements.fetch(filter, shareCount: name == nil ? 1 : options.partitions)
        self.lastSave = clock.now
        self.nextRebalance = clock.now
    }

    deinit {
        listening?.cancel()
        // A loop left without stop(): close the connection (releasing its locks) now, not
        // whenever the last reference to it goes.
        if let connection { Task { await connection.close() } }
        if let readConnection { Task { await readConnection.close() } }
    }

    var shareCount: Int { name == nil ? 1 : options.partitions }

    // MARK: Handing out

    /// The next event for the at-least-once form; the previous one counts as handled. nil once
    /// stopped (the checkpoint saved).
    func nextEvent() async throws -> RecordedEvent? {
        if finished { return nil }
        if let previous = handedOut {
            handedOut = nil
            let through = batchIndex == batch.events.count ? batch.through : previous.event.globalPosition
            confirmOne(previous.share, through: through)
            if dueForSave { try await withConnectionLoss { try await self.save() } }
        }
        if wake.stopRequested {
            try await finish()
            return nil
        }
        while true {
            if batchIndex < batch.events.count {
                let next = batch.events[batchIndex]
                batchIndex += 1
                handedOut = next
                metrics.delivered()
                return next.event
            }
            guard try await fetchNextBatch() else {
                try await finish()
                return nil
            }
        }
    }

    /// The next whole batch for the exactly-once form; nil once stopped.
    func nextBatch() async throws -> SubscriptionBatch? {
        if finished { return nil }
        guard try await fetchNextBatch() else {
            try await finish()
            return nil
        }
        batchIndex = batch.events.count
        metrics.delivered(batch.events.count)
        return batch
    }

    /// Marks events handled up to `through`: every held share has then handled all of its
    /// events up to there.
    func confirm(through: GlobalPosition) {
        for index in shares.values.indices where shares.values[index].handled < through {
            shares.values[index].handled = through
        }
    }

    /// ``confirm(through:)`` for one delivered event of `share`, without allocating (this runs
    /// once per event).
    func confirmOne(_ share: Int32, through: GlobalPosition) {
        for index in shares.values.indices {
            if shares.values[index].handled < through { shares.values[index].handled = through }
            if shares.keys[index] == share { shares.values[index].handledSinceSave += 1 }
        }
        unsavedEvents += 1
    }

    /// The checkpoints after handling `batch`, without changing the engine (the exactly-once
    /// form applies them once its transaction committed).
    func checkpoints(after batch: SubscriptionBatch) -> [Int32: ShareCheckpoint] {
        var counts: [Int32: Int64] = [:]
        for event in batch.events { counts[event.share, default: 0] += 1 }
        var result = shares
        for (share, var checkpoint) in result {
            checkpoint.handled = max(checkpoint.handled, batch.through)
            checkpoint.handledSinceSave += counts[share] ?? 0
            result[share] = checkpoint
        }
        return result
    }

    // MARK: Fetching

    /// Fetches until a batch with events is ready; false when stopped. Waits for
    /// notifications (or polls) when caught up, and rides out lost connections.
    func fetchNextBatch() async throws -> Bool {
        batch = SubscriptionBatch(events: [], through: cursor)
        batchIndex = 0
        while true {
            try Task.checkCancellation()
            if wake.stopRequested { return false }
            do {
                try await ensureConnected()
                if clock.now >= nextRebalance { try await rebalance() }
                if wake.takeReset(), name != nil {
                    // Ours or another's: keep what was handled (a save over a reset of ours
                    // fails and reads the reset places), then start from the table.
                    try await save()
                    try await reloadCheckpoints()
                }
                if shares.isEmpty {
                    // A standby: wait for a share to come free.
                    await wake.wait(timeout: options.rebalanceInterval)
                    wake.clear()
                    continue
                }
                if let barrier = caughtUpBelow {
                    // The last batch ended below the barrier: unless an append notified since,
                    // there is nothing to fetch yet (this saves a query per live batch).
                    caughtUpBelow = nil
                    if !wake.isSignalled {
                        try await saveWhenIdle()
                        await wake.wait(timeout: idleWait(barrier: barrier))
                        continue
                    }
                }
                wake.clear()
                let (events, barrier, full) = try await fetch().parts
                failures = 0
                let through = full ? (events.last?.event.globalPosition ?? cursor) : GlobalPosition(transactionID: barrier, position: 0)
                cursor = max(cursor, through)
                let fresh = events.filter { event in shares[event.share].map { event.event.globalPosition > $0.handled } ?? false }
                if !fresh.isEmpty {
                    batch = SubscriptionBatch(events: fresh, through: through)
                    // More is likely to follow a full batch: fetch it while this one is handled.
                    if full && prefetching { startPrefetch() }
                    if !full { caughtUpBelow = barrier }
                    barrierRetry = nil
                    metrics.batch(size: fresh.count, newest: fresh.last?.event)
                    return true
                }
                // Nothing new to hand out up to `through`: all of it is handled.
                try await endOpenTransaction()
                confirm(through: through)
                if full { continue }
                try await saveWhenIdle()
                await wake.wait(timeout: idleWait(barrier: barrier))
            } catch let error where isConnectionLoss(error) {
                try await recover(from: error)
            }
        }
    }

    /// How long to sleep when caught up: briefly, growing, while a transaction that notified
    /// is not yet below the barrier (an older one still runs); else until the next poll,
    /// rebalance or checkpoint.
    private func idleWait(barrier: UInt64) -> Duration {
        if wake.latestTransaction >= barrier {
            let retry = min((barrierRetry ?? .microseconds(500)) * 2, options.pollInterval)
            barrierRetry = retry
            return retry
        }
        barrierRetry = nil
        return min(options.pollInterval, max(.milliseconds(1), nextRebalance - clock.now))
    }

    /// Runs one of the subscription's own statements under its query timeout, so a server
    /// that stopped answering is noticed.
    func ownQuery<T>(_ body: () async throws -> T) async throws -> T {
        try await PGConnection.withQueryTimeout(options.queryTimeout, body)
    }

    static let lost = PGError(.closed, "the subscription's connection is gone")
}
