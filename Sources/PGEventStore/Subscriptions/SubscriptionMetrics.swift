import CoreMetrics
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension EventSubscription {
    /// The labels of the metrics subscriptions emit, each with the dimension `subscription`
    /// (the name; empty for an unnamed follower).
    public enum MetricLabel {
        /// Counter: events handed to the consumer or handler (again after a redelivery).
        public static let eventsDelivered = "pgevents_subscription_events_delivered"
        /// Recorder: events per fetched batch.
        public static let batchSize = "pgevents_subscription_batch_size"
        /// Timer: how long the exactly-once handler took per batch, its transaction included.
        public static let handlerDuration = "pgevents_subscription_handler_duration"
        /// Gauge: seconds between an event's commit and its delivery, for the last event
        /// delivered (how far behind the subscription runs).
        public static let lagSeconds = "pgevents_subscription_lag_seconds"
        /// Counter: connections lost and re-made.
        public static let reconnects = "pgevents_subscription_reconnects"
        /// Counter: checkpoints saved.
        public static let checkpoints = "pgevents_subscription_checkpoints"
        /// Counter: poison events parked.
        public static let parked = "pgevents_subscription_parked"
        /// Gauge: shares this process holds.
        public static let shares = "pgevents_subscription_shares"
    }
}

/// One subscription's metric handles.
struct SubscriptionMetrics {
    let delivered: Counter
    let batchSize: Recorder
    let handlerDuration: CoreMetrics.Timer
    let lag: Gauge
    let reconnects: Counter
    let checkpoints: Counter
    let parked: Counter
    let shares: Gauge

    init(subscription: String, factory: any MetricsFactory) {
        typealias Label = EventSubscription.MetricLabel
        let dimensions = [("subscription", subscription)]
        delivered = Counter(label: Label.eventsDelivered, dimensions: dimensions, factory: factory)
        batchSize = Recorder(label: Label.batchSize, dimensions: dimensions, aggregate: true, factory: factory)
        handlerDuration = CoreMetrics.Timer(label: Label.handlerDuration, dimensions: dimensions, factory: factory)
        lag = Gauge(label: Label.lagSeconds, dimensions: dimensions, factory: factory)
        reconnects = Counter(label: Label.reconnects, dimensions: dimensions, factory: factory)
        checkpoints = Counter(label: Label.checkpoints, dimensions: dimensions, factory: factory)
        parked = Counter(label: Label.parked, dimensions: dimensions, factory: factory)
        shares = Gauge(label: Label.shares, dimensions: dimensions, factory: factory)
    }

    func delivered(_ count: Int = 1) {
        delivered.increment(by: count)
    }

    func batch(size: Int, newest: RecordedEvent? = nil) {
        batchSize.record(size)
        if let newest { lag.record(max(0, Date().timeIntervalSince(newest.createdAt))) }
    }

    func handled(in duration: Duration) {
        let (seconds, attoseconds) = duration.components
        handlerDuration.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }

    func reconnected() { reconnects.increment() }
    func checkpointSaved() { checkpoints.increment() }
    func parkedOne() { parked.increment() }
    func sharesHeld(_ count: Int) { shares.record(count) }
}
