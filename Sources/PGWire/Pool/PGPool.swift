public import Logging
import CoreMetrics
import Synchronization

/// A bounded set of connections to one PostgreSQL database, lent to one task at a time.
///
/// ```swift
/// let pool = PGPool(configuration: .init(connection: .init(host: "127.0.0.1", user: "app", password: "secret")))
/// let rows = try await pool.query("SELECT id, name FROM users WHERE id = \(42)").rows
/// try await pool.withTransaction { connection in
///     try await connection.execute("UPDATE accounts SET balance = balance - \(10) WHERE id = \(1)")
///     try await connection.execute("UPDATE accounts SET balance = balance + \(10) WHERE id = \(2)")
/// }
/// await pool.close()
/// ```
///
/// - At most ``Configuration/maximumConnections`` are open; when all are busy, acquires wait in
///   arrival order, each at most ``Configuration/acquireTimeout``, and then fail with
///   ``PGError/Code/timeout``. A server that cannot be reached, or that rejects the login, fails
///   the acquire at once with the connect error, which names the server. Nothing is retried
///   behind the caller's back.
/// - A connection always comes back: one returned closed, or that cannot be brought out of a
///   transaction with ROLLBACK, is closed; one whose task was cancelled is closed too (a
///   CancelRequest may still be on its way). The next user never finds a transaction open.
///   Other session state (`SET`, temporary tables, prepared statements) stays with the
///   connection, as in every pool that does not reset sessions.
/// - A connection idle longer than ``Configuration/healthCheckAfterIdle`` is checked before it
///   is handed out; connections are replaced after ``Configuration/maximumLifetime`` and closed
///   after ``Configuration/idleTimeout`` above ``Configuration/minimumConnections``.
///
/// The pool works without further setup: connections open on demand, and lifetimes and idle
/// times are checked when connections are taken and given back. Run it as a `Service` in a
/// swift-service-lifecycle `ServiceGroup` (``run()``) to also keep the minimum open ahead of
/// demand and close idle connections while nothing happens; ``run()`` closes the pool when the
/// group shuts down. Without a group, call ``close(timeout:)`` when done.
///
/// Taking an idle connection neither suspends nor starts a task: it is a lock, a pop and a
/// clock read. Tasks suspend only to wait for a connection, and one timer task (started when
/// first needed) serves every deadline.
public final class PGPool: Sendable {
    /// A task waiting for a connection.
    typealias Waiter = CheckedContinuation<Handout, any Error>
    typealias Machine = PoolStateMachine<PGConnection, Waiter>

    /// A connection handed to an acquire, and whether it must be health-checked first.
    struct Handout: Sendable {
        let connection: PGConnection
        let needsCheck: Bool
    }

    /// Everything the lock protects: the bookkeeping and the few handles that go with it.
    struct Guts: ~Copyable, Sendable {
        var machine: Machine
        var gauges = PublishedGauges()
        /// The timer task (see ``PoolStateMachine/schedule(_:effects:)``), to cancel when replaced.
        var timer: Task<Void, Never>?
        /// Set once the pool has closed every connection it could; ``close(deadline:)`` callers
        /// wait for it in `closeWaiters`.
        var closeCompleted = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The settings this pool was made with.
    public let configuration: Configuration
    let logger: Logger
    let noticeHandler: PGConnection.NoticeHandler?
    let metrics: PoolMetrics
    let guts: Mutex<Guts>

    /// The pool's dedicated notification connection: it is not one of the pooled connections
    /// (a listening session must stay open and must not be lent), opens on the first
    /// ``listen(_:bufferLimit:timeout:)``, reconnects with ``Configuration/listenerBackoff`` after
    /// a loss, and closes with the pool.
    public let listener: PGListener

    /// Makes a pool. No connection opens until the first acquire (or until ``run()`` warms up
    /// ``Configuration/minimumConnections``).
    ///
    /// - Parameters:
    ///   - configuration: where to connect, and the pool's limits.
    ///   - logger: receives debug and trace logs from the pool and its connections; PGWire
    ///     never bootstraps logging.
    ///   - noticeHandler: receives every connection's NoticeResponses; by default they are
    ///     logged at debug level.
    public init(
        configuration: Configuration, logger: Logger = Logger(label: "PGWire.PGPool"),
        noticeHandler: PGConnection.NoticeHandler? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.noticeHandler = noticeHandler
        self.metrics = PoolMetrics(
            factory: configuration.metricsFactory ?? MetricsSystem.factory, dimensions: configuration.metricsDimensions)
        self.guts = Mutex(Guts(machine: Machine(settings: configuration.settings)))
        self.listener = PGListener(
            configuration: configuration.connection, backoff: configuration.listenerBackoff, logger: logger)
    }

    /// A snapshot of the pool's connections and waiters.
    public struct Statistics: Sendable, Equatable, CustomStringConvertible {
        /// Open connections waiting in the pool.
        public var idle: Int
        /// Connections lent to callers (including ones being health-checked before they are).
        public var inUse: Int
        /// Connections being opened.
        public var opening: Int
        /// Tasks waiting for a connection.
        public var waiting: Int
        /// Every connection the pool answers for; never above ``Configuration/maximumConnections``.
        public var total: Int { idle + inUse + opening }

        /// Counts as given; for comparing against ``PGPool/statistics``.
        public init(idle: Int, inUse: Int, opening: Int, waiting: Int) {
            self.idle = idle
            self.inUse = inUse
            self.opening = opening
            self.waiting = waiting
        }

        /// The counts, for logs.
        public var description: String { "idle \(idle), in use \(inUse), opening \(opening), waiting \(waiting)" }
    }

    /// The pool's current counts.
    public var statistics: Statistics {
        guts.withLock { guts in
            let machine = guts.machine
            return Statistics(
                idle: machine.idleCount, inUse: machine.lentCount, opening: machine.opening, waiting: machine.waiterCount)
        }
    }

    /// True once ``close(deadline:)`` began (or ``run()`` ended): no more connections are lent.
    public var isClosed: Bool { guts.withLock { $0.machine.phase != .running } }

    /// Runs one event through the state machine under the lock and publishes the gauges.
    func update<T: Sendable>(_ event: (inout Machine, inout Machine.Effects) -> T) -> (T, Machine.Effects) {
        guts.withLock { guts in
            var effects = Machine.Effects()
            let result = event(&guts.machine, &effects)
            guts.gauges.publish(guts.machine, to: metrics)
            return (result, effects)
        }
    }
}
