public import CoreMetrics

extension PGPool {
    /// How a ``PGPool`` connects, how many connections it keeps, and how long it waits.
    ///
    /// The defaults follow pgxpool where it has an equivalent (health check after 1 s idle,
    /// lifetime 1 h) and otherwise aim at a pool that never surprises: a bound well below
    /// PostgreSQL's default `max_connections` (100), no background connects unless asked for,
    /// and an acquire that gives up with a clear error rather than hanging.
    public struct Configuration: Sendable {
        /// Where and as whom each connection logs in. Its ``PGConnection/Configuration/connectTimeout``
        /// still applies to each connect, cut short to what is left of the acquire timeout.
        public var connection: PGConnection.Configuration

        /// Connections kept open even when idle; ``PGPool/run()`` opens them ahead of demand.
        /// Default 0: a pool used without `run()` opens connections only when asked.
        /// Clamped to `0...maximumConnections`.
        public var minimumConnections: Int

        /// The most connections open at once, counting those being opened. Default 8: a few
        /// busy sessions per server core is where PostgreSQL does best, and several application
        /// instances with 8 each stay below the server's default `max_connections` of 100.
        /// Beyond it, acquires wait in line. At least 1.
        public var maximumConnections: Int

        /// How long an acquire may take in all: waiting for a free connection, opening one,
        /// and health-checking one. Default 10 s. An acquire that runs out fails with
        /// ``PGError/Code/timeout``, naming the server and how many connections were in use.
        public var acquireTimeout: Duration

        /// A connection idle at least this long is checked with an empty query (one round trip)
        /// before it is handed out; a dead one is closed and another one used. Default 1 s, as
        /// in pgxpool: a connection used moments ago is trusted, which keeps the busy path free
        /// of extra round trips. `nil` never checks; `.zero` checks every time.
        public var healthCheckAfterIdle: Duration?

        /// A connection open this long is closed when it comes back (or while idle) and
        /// replaced on demand, so server-side memory and DNS or failover changes are picked up.
        /// Default 1 h; `nil` keeps connections forever.
        public var maximumLifetime: Duration?

        /// A connection idle this long is closed, unless that would leave fewer than
        /// ``minimumConnections``. Default 5 min; `nil` keeps idle connections.
        public var idleTimeout: Duration?

        /// When ``PGPool/run()`` ends through a graceful shutdown, how long it waits for
        /// borrowed connections to come back before closing them anyway. Default 10 s.
        public var shutdownTimeout: Duration

        /// Where the pool's metrics go; `nil` uses `MetricsSystem.factory` (the task-local
        /// factory if one is bound, else the globally bootstrapped one). Tests pass
        /// `MetricsTestKit.TestMetrics` here instead of bootstrapping globally.
        ///
        /// The metrics are listed in ``PGPool/MetricLabel``.
        public var metricsFactory: (any MetricsFactory)?

        /// Dimensions added to every metric, for example `[("pool", "orders")]` to tell pools apart.
        public var metricsDimensions: [(String, String)]

        /// The waits between reconnect attempts of the pool's notification connection
        /// (``PGPool/listener``).
        public var listenerBackoff: ReconnectBackoff

        /// The ``PGConnection/Configuration/readSpin`` of pooled connections, replacing the
        /// connection configuration's; `nil` keeps that one. Default zero: a read that finds no
        /// answer suspends at once and frees its thread. A spinning read holds one of the few
        /// threads of Swift's cooperative pool while tasks handed a connection wait for one:
        /// with 64 tasks over 8 connections on 2 cores, 500 µs gave 0.6 to 0.75× the throughput
        /// of zero (`PGBench --only pool`, Benchmarks/README.md), and without
        /// ``yieldAfterSend`` the first tasks kept the threads while the others did not start.
        /// A tuning knob for benchmarks, not part of the supported API.
        @_spi(Benchmarks) public var readSpin: Duration?

        /// The ``PGConnection/Configuration/yieldAfterSend`` of pooled connections, replacing the
        /// connection configuration's; `nil` keeps that one. Default true: with 64 tasks over 8
        /// connections on 2 cores, throughput rose 1.27 to 1.47× with it (readSpin 0), and with
        /// a spinning read it made the tasks take turns (`PGBench --only pool`). A tuning knob
        /// for benchmarks.
        @_spi(Benchmarks) public var yieldAfterSend: Bool?

        /// A configuration with the defaults described on each property.
        public init(
            connection: PGConnection.Configuration,
            minimumConnections: Int = 0,
            maximumConnections: Int = 8,
            acquireTimeout: Duration = .seconds(10),
            healthCheckAfterIdle: Duration? = .seconds(1),
            maximumLifetime: Duration? = .seconds(3600),
            idleTimeout: Duration? = .seconds(300),
            shutdownTimeout: Duration = .seconds(10),
            metricsFactory: (any MetricsFactory)? = nil,
            metricsDimensions: [(String, String)] = [],
            listenerBackoff: ReconnectBackoff = ReconnectBackoff()
        ) {
            self.connection = connection
            self.minimumConnections = minimumConnections
            self.maximumConnections = maximumConnections
            self.acquireTimeout = acquireTimeout
            self.healthCheckAfterIdle = healthCheckAfterIdle
            self.maximumLifetime = maximumLifetime
            self.idleTimeout = idleTimeout
            self.shutdownTimeout = shutdownTimeout
            self.metricsFactory = metricsFactory
            self.metricsDimensions = metricsDimensions
            self.listenerBackoff = listenerBackoff
            self.readSpin = .zero
            self.yieldAfterSend = true
        }

        /// The limits as the state machine takes them, clamped to sensible ranges.
        var settings: PoolStateMachine<PGConnection, PGPool.Waiter>.Settings {
            let maximum = max(1, maximumConnections)
            return .init(
                minimum: min(max(0, minimumConnections), maximum), maximum: maximum,
                healthCheckAfterIdle: healthCheckAfterIdle, maximumLifetime: maximumLifetime, idleTimeout: idleTimeout)
        }

        /// How often ``PGPool/run()`` does its upkeep: often enough to honour the idle timeout
        /// and lifetime within about half their length, never busier than every 10 ms, and at
        /// least once a second so that the minimum comes back soon after a failure.
        var housekeepingInterval: Duration {
            var interval = Duration.seconds(1)
            if let idleTimeout { interval = min(interval, idleTimeout / 2) }
            if let maximumLifetime { interval = min(interval, maximumLifetime / 2) }
            return max(interval, .milliseconds(10))
        }

        /// The servers, as errors name them (`host:port`, several separated by commas).
        var serverDescription: String {
            connection.servers.map(\.description).joined(separator: ",")
        }
    }
}

extension ContinuousClock.Instant {
    /// `self + duration`, with the duration held to 0...100 years: a caller's "wait forever"
    /// (`.seconds(.max)`) must not overflow the clock and trap.
    func advanced(byAtMost duration: Duration) -> Self {
        advanced(by: min(max(duration, .zero), .seconds(100 * 365 * 86_400)))
    }
}
