public import CoreMetrics
public import Logging
public import PGWire
import Synchronization

/// An event store in a PostgreSQL schema.
///
/// ```swift
/// let store = try EventStore(.init(connection: .init(host: "localhost", user: "app", database: "app")))
/// try await store.migrate()
/// let result = try await store.append(
///     to: "order-42", expected: .noStream,
///     [NewEvent(type: "OrderPlaced", data: PGRawJSON(#"{"total": 12}"#))])
/// for try await event in store.readStream("order-42") { print(event.version, event.type) }
/// await store.close()
/// ```
///
/// The store borrows its connections from a ``PGPool``: its own, made from the configuration
/// (at most ``Configuration/maximumConnections``, each acquire bounded by
/// ``Configuration/acquireTimeout``), or one the application already runs
/// (``Configuration/pool``). Each operation has a connection to itself for as long as it runs;
/// one whose task was cancelled mid-exchange is closed by the pool, never lent again.
public final class EventStore: Sendable {
    /// How a store connects and where it keeps its tables.
    public struct Configuration: Sendable {
        /// The server and credentials. Ignored when ``pool`` is set (that pool's own
        /// connection configuration applies).
        public var connection: PGConnection.Configuration
        /// The PostgreSQL schema of the store's tables (created by ``EventStore/migrate()``).
        public var schema: String
        /// Connections the store's pool keeps open even when idle. Default 0. They are opened
        /// ahead of demand only while the pool's `run()` runs (put ``EventStore/pool`` in a
        /// `ServiceGroup`); otherwise connections open on first use and this many are kept.
        /// Ignored when ``pool`` is set.
        public var minimumConnections: Int
        /// The most connections the store's pool opens at once (at least 1); operations beyond
        /// it wait in line, each for at most ``acquireTimeout``. Ignored when ``pool`` is set.
        public var maximumConnections: Int
        /// How long an operation may wait to get a connection (for a busy one to come back,
        /// or for a new one to open) before it fails with
        /// ``EventStoreError/Code/acquireTimeout``. Default 10 s, as `PGPool`'s. Ignored when
        /// ``pool`` is set: that pool's acquire timeout applies.
        public var acquireTimeout: Duration
        /// How long ``EventStore/close()`` waits for operations still running before their
        /// connections are closed under them. Default 10 s. Ignored when ``pool`` is set.
        public var closeTimeout: Duration
        /// A pool the application already runs, to borrow from instead of opening one.
        ///
        /// The application owns it: ``EventStore/close()`` does not close it, so close it
        /// yourself after the store (and after anything else using it). Its connection
        /// configuration, limits and acquire timeout replace ``connection``,
        /// ``minimumConnections``, ``maximumConnections``, ``acquireTimeout`` and
        /// ``closeTimeout``. Default nil: the store makes a pool of its own and closes it.
        public var pool: PGPool?
        /// Appends of this many events or more send them as binary COPY; smaller ones go as one
        /// statement in one round trip. Measured with `PGBench --only store` (Benchmarks/README.md):
        /// COPY's extra round trips made it 0.67x as fast at 10 events per append, even at
        /// 100 (0.99x) and ahead only at 1,000 (1.06x), so the default is 1,000.
        public var copyThreshold: Int
        /// Events per page when reading.
        public var pageSize: Int
        /// Where the store (and the pool it makes) logs (debug and trace only).
        public var logger: Logger
        /// Where subscriptions send their metrics (``EventSubscription/MetricLabel``); nil (the
        /// default) for the process's `MetricsSystem`.
        public var metricsFactory: (any MetricsFactory)?

        /// A configuration for a store with a pool of its own; only the connection is required.
        public init(
            connection: PGConnection.Configuration, schema: String = "pgevents", minimumConnections: Int = 0,
            maximumConnections: Int = 4, acquireTimeout: Duration = .seconds(10), closeTimeout: Duration = .seconds(10),
            copyThreshold: Int = 1_000, pageSize: Int = 1_000,
            logger: Logger = Logger(label: "PGEventStore", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.connection = connection
            self.schema = schema
            self.minimumConnections = minimumConnections
            self.maximumConnections = maximumConnections
            self.acquireTimeout = acquireTimeout
            self.closeTimeout = closeTimeout
            self.pool = nil
            self.copyThreshold = copyThreshold
            self.pageSize = pageSize
            self.logger = logger
        }

        /// A configuration for a store that borrows from `pool`, which the application runs
        /// and closes (see ``pool``).
        public init(
            pool: PGPool, schema: String = "pgevents", copyThreshold: Int = 1_000, pageSize: Int = 1_000,
            logger: Logger = Logger(label: "PGEventStore", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.init(
                connection: pool.configuration.connection, schema: schema,
                minimumConnections: pool.configuration.minimumConnections,
                maximumConnections: pool.configuration.maximumConnections, acquireTimeout: pool.configuration.acquireTimeout,
                closeTimeout: pool.configuration.shutdownTimeout, copyThreshold: copyThreshold, pageSize: pageSize,
                logger: logger)
            self.pool = pool
        }
    }

    /// The configuration the store was created with.
    public let configuration: Configuration
    let schema: StoreSchema
    let statements: AppendStatements
    /// The pool the store borrows from: ``Configuration/pool``, or the one the store made.
    ///
    /// Use it to watch `statistics`, or run it in a `ServiceGroup` to keep
    /// ``Configuration/minimumConnections`` open ahead of demand. A pool the store made closes
    /// with ``close()``; do not close it while the store is in use.
    public let pool: PGPool
    /// Whether ``close()`` closes ``pool``: only when the store made it.
    let ownsPool: Bool
    /// Set by ``close()``: a store with a borrowed pool must refuse work too, though its pool
    /// stays open.
    let closed = Atomic(false)
    /// The subscriptions made from this store, told to stop by ``close()``.
    let subscriptionWakes = SubscriptionWakes()
    /// The position from which appends create the next partitions of a partitioned events
    /// table (``ensurePartitions()``): 0 until the first append has looked, `Int64.max` when the
    /// table is not partitioned.
    let partitionHorizon = Atomic<Int64>(0)

    /// Creates a store; it connects when first used.
    /// - Throws: ``EventStoreError/Code/invalidArgument`` for an unusable schema name.
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        self.schema = try StoreSchema(configuration.schema)
        self.statements = AppendStatements(schema: schema)
        if let pool = configuration.pool {
            self.pool = pool
            self.ownsPool = false
        } else {
            self.pool = PGPool(
                configuration: PGPool.Configuration(
                    connection: configuration.connection, minimumConnections: configuration.minimumConnections,
                    maximumConnections: configuration.maximumConnections, acquireTimeout: configuration.acquireTimeout,
                    shutdownTimeout: configuration.closeTimeout),
                logger: configuration.logger)
            self.ownsPool = true
        }
    }

    /// Creates the schema or brings it up to date; safe when many processes start at once.
    /// - Returns: the schema version.
    /// - Throws: ``EventStoreError/Code/schemaTooNew`` when a newer library migrated it.
    @discardableResult
    public func migrate() async throws -> Int {
        try await withConnection { try await Migrator(schema: schema).migrate($0) }
    }

    /// The schema's version: 0 before ``migrate()``.
    public func schemaVersion() async throws -> Int {
        try await withConnection { try await Migrator(schema: schema).currentVersion($0) }
    }

    /// The newest schema version this library knows.
    public static var latestSchemaVersion: Int { Migration.latestVersion }

    /// Refuses new operations from now on and, when the store made its pool, closes it: idle
    /// connections close at once, operations still running have up to
    /// ``Configuration/closeTimeout`` to finish before their connections are closed under them.
    /// A pool given in ``Configuration/pool`` stays open: the application closes it. Running
    /// subscriptions are asked to stop (as ``EventSubscription/stop()``): they save their
    /// checkpoints on their own connections and end.
    public func close() async {
        closed.store(true, ordering: .releasing)
        subscriptionWakes.stopAll()
        if ownsPool { await pool.close(timeout: configuration.closeTimeout) }
    }
}
