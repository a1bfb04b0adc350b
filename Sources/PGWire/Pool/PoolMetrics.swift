import CoreMetrics

extension PGPool {
    /// The labels of the metrics a pool emits (each with ``Configuration/metricsDimensions``).
    public enum MetricLabel {
        /// Meter: connections lent to callers (including ones being health-checked).
        public static let connectionsInUse = "pgwire_pool_connections_in_use"
        /// Meter: open connections waiting in the pool.
        public static let connectionsIdle = "pgwire_pool_connections_idle"
        /// Meter: tasks waiting for a connection.
        public static let waiters = "pgwire_pool_waiters"
        /// Timer: how long each successful acquire took, waiting and health check included.
        public static let acquireDuration = "pgwire_pool_acquire_duration"
        /// Counter: connections opened.
        public static let connectionsCreated = "pgwire_pool_connections_created"
        /// Counter: connections closed (broken, expired, idle too long, or the pool closed).
        public static let connectionsClosed = "pgwire_pool_connections_closed"
        /// Counter: acquires that failed with ``PGError/Code/timeout``.
        public static let acquireTimeouts = "pgwire_pool_acquire_timeouts"
    }
}

/// The pool's metric handles, made once per pool.
struct PoolMetrics: Sendable {
    let inUse: Meter
    let idle: Meter
    let waiters: Meter
    let acquireDuration: Timer
    let created: Counter
    let closed: Counter
    let timeouts: Counter

    init(factory: any MetricsFactory, dimensions: [(String, String)]) {
        typealias Label = PGPool.MetricLabel
        inUse = Meter(label: Label.connectionsInUse, dimensions: dimensions, factory: factory)
        idle = Meter(label: Label.connectionsIdle, dimensions: dimensions, factory: factory)
        waiters = Meter(label: Label.waiters, dimensions: dimensions, factory: factory)
        acquireDuration = Timer(label: Label.acquireDuration, dimensions: dimensions, factory: factory)
        created = Counter(label: Label.connectionsCreated, dimensions: dimensions, factory: factory)
        closed = Counter(label: Label.connectionsClosed, dimensions: dimensions, factory: factory)
        timeouts = Counter(label: Label.acquireTimeouts, dimensions: dimensions, factory: factory)
    }

    /// Records an acquire's duration.
    func recordAcquire(since start: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (now - start).components
        acquireDuration.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }
}

/// The gauge values last published, so that an acquire or release sets only what changed.
struct PublishedGauges {
    var inUse = -1
    var idle = -1
    var waiters = -1

    /// Publishes the machine's counts. Called with the pool's lock held, so that the values
    /// reach the metrics backend in the order they happened and the last one is always right.
    mutating func publish<C, W>(_ machine: PoolStateMachine<C, W>, to metrics: PoolMetrics) {
        if machine.lentCount != inUse {
            inUse = machine.lentCount
            metrics.inUse.set(inUse)
        }
        if machine.idleCount != idle {
            idle = machine.idleCount
            metrics.idle.set(idle)
        }
        if machine.waiterCount != waiters {
            waiters = machine.waiterCount
            metrics.waiters.set(waiters)
        }
    }
}
