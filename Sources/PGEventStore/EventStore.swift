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
/// The store borrows its connections from a `PGPool`: its own, made from the configuration
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
        /// Where reads and subscriptions fetch events, when not from ``connection``: typically
        /// standbys, such as `host=replica1,replica2 target_session_attrs=prefer-standby`
        /// (`PGConnection.Configuration(connectionString:)`). The store keeps a second pool for
        /// them (``EventStore/readPool``) with the same limits. Appends, deletes, snapshots
        /// saved, migrations, checkpoints and the exactly-once subscription form stay on
        /// ``connection``. On a standby, reads honour the standby's own read barrier (its
        /// snapshot), so they never skip a late commit there either; they see what the standby
        /// has replayed, unless ``readYourWrites`` is set. Default nil: everything on
        /// ``connection``. Ignored when ``readPool`` is set.
        public var readConnection: PGConnection.Configuration?
        /// A pool the application runs for reads, instead of ``readConnection``; the
        /// application closes it after the store.
        public var readPool: PGPool?
        /// With reads on a standby: before each read, wait until the standby has replayed the
        /// commit of every append this store instance made (`pg_last_wal_replay_lsn()` against
        /// the commit's WAL position, ``AppendResult/commitLSN``), for at most this long, then
        /// fail with ``EventStoreError/Code/replayTimeout``. Default nil: reads see what the
        /// standby has replayed so far (wait for one append with
        /// ``EventStore/waitForReplay(of:timeout:)``). No effect without a read pool.
        public var readYourWrites: Duration?
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
        /// A direct connection to the server (not through a pooler in transaction mode), for
        /// what needs a session of its own: subscriptions (LISTEN and advisory locks), waiting
        /// for subscriptions (LISTEN) and ``EventStore/migrate()`` (a session advisory lock).
        /// Required when ``connection`` (or ``pool``'s) has `poolerMode` `.transaction`; used
        /// whenever set (also behind a pooler that keeps prepared statements itself); nil (the
        /// default) uses the pool's connection settings. See "Behind PgBouncer" in the README.
        public var sessionConnection: PGConnection.Configuration?

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
            self.readConnection = nil
            self.readPool = nil
            self.readYourWrites = nil
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
    /// Where reads and subscriptions fetch events: ``Configuration/readPool``, one the store
    /// made from ``Configuration/readConnection``, or ``pool`` when neither is set.
    public let readPool: PGPool
    /// Whether ``close()`` closes ``readPool``: only when the store made it.
    let ownsReadPool: Bool
    /// The WAL positions that read-your-writes compares: this store's latest commit and what
    /// each read server was last seen to have replayed.
    let replay = ReplayTracker()
    /// Set by ``close()``: a store with a borrowed pool must refuse work too, though its pool
    /// stays open.
    let closed = Atomic(false)
    /// The subscriptions made from this store, told to stop by ``close()``.
    let subscriptionWakes = SubscriptionWakes()
    /// A listener on ``Configuration/sessionConnection`` when one is set, in place of the
    /// pool's (which would LISTEN through the pooler). Closed by ``close()``.
    let sessionListener: PGListener?
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
        if let readPool = configuration.readPool {
            self.readPool = readPool
            self.ownsReadPool = false
        } else if let readConnection = configuration.readConnection {
            self.readPool = PGPool(
                configuration: PGPool.Configuration(
                    connection: readConnection, minimumConnections: configuration.minimumConnections,
                    maximumConnections: configuration.maximumConnections, acquireTimeout: configuration.acquireTimeout,
                    shutdownTimeout: configuration.closeTimeout),
                logger: configuration.logger)
            self.ownsReadPool = true
        } else {
            self.readPool = self.pool
            self.ownsReadPool = false
        }
        self.sessionListener = configuration.sessionConnection.map {
            PGListener(configuration: $0, logger: configuration.logger)
        }
    }

    /// Whether reads go to a pool of their own (a standby, usually).
    var readsElsewhere: Bool { readPool !== pool }

    /// Whether appends bring back their commit's WAL position (in the same round trip), for
    /// read-your-writes: whenever reads go elsewhere.
    var tracksCommits: Bool { readsElsewhere }

    /// Creates the schema or brings it up to date; safe when many processes start at once.
    ///
    /// Runs on a session of its own (it holds a session advisory lock): behind a pooler in
    /// transaction mode, on ``Configuration/sessionConnection``.
    /// - Returns: the schema version.
    /// - Throws: ``EventStoreError/Code/schemaTooNew`` when a newer library migrated it;
    ///   ``EventStoreError/Code/invalidArgument`` behind a transaction pooler without
    ///   ``Configuration/sessionConnection``.
    @discardableResult
    public func migrate() async throws -> Int {
        try await withSessionConnection(for: "migrate()") { try await Migrator(schema: schema).migrate($0) }
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
        if ownsReadPool { await readPool.close(timeout: configuration.closeTimeout) }
        await sessionListener?.close()
        if ownsPool { await pool.close(timeout: configuration.closeTimeout) }
    }
}
