public import Logging
public import PGWire

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
/// The store opens up to ``Configuration/maximumConnections`` connections and lends each to one
/// operation at a time.
public final class EventStore: Sendable {
    /// How a store connects and where it keeps its tables.
    public struct Configuration: Sendable {
        /// The server and credentials.
        public var connection: PGConnection.Configuration
        /// The PostgreSQL schema of the store's tables (created by ``EventStore/migrate()``).
        public var schema: String
        /// The most connections the store opens at once.
        public var maximumConnections: Int
        /// Appends of this many events or more send them as binary COPY; smaller ones go as one
        /// statement in one round trip. Measured with `PGBench --only store` (Benchmarks/README.md):
        /// COPY's extra round trips made it 0.67x as fast at 10 events per append, even at
        /// 100 (0.99x) and ahead only at 1,000 (1.06x), so the default is 1,000.
        public var copyThreshold: Int
        /// Events per page when reading.
        public var pageSize: Int
        /// Where the store logs (debug and trace only).
        public var logger: Logger

        /// A configuration; only the connection is required.
        public init(
            connection: PGConnection.Configuration, schema: String = "pgevents", maximumConnections: Int = 4,
            copyThreshold: Int = 1_000, pageSize: Int = 1_000,
            logger: Logger = Logger(label: "PGEventStore", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.connection = connection
            self.schema = schema
            self.maximumConnections = maximumConnections
            self.copyThreshold = copyThreshold
            self.pageSize = pageSize
            self.logger = logger
        }
    }

    /// The configuration the store was created with.
    public let configuration: Configuration
    let schema: StoreSchema
    let statements: AppendStatements
    let leases: ConnectionLeases

    /// Creates a store; it connects when first used.
    /// - Throws: ``EventStoreError/Code/invalidArgument`` for an unusable schema name.
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        self.schema = try StoreSchema(configuration.schema)
        self.statements = AppendStatements(schema: schema)
        self.leases = ConnectionLeases(configuration: configuration.connection, maximum: configuration.maximumConnections)
    }

    /// Creates the schema or brings it up to date; safe when many processes start at once.
    /// - Returns: the schema version.
    /// - Throws: ``EventStoreError/Code/schemaTooNew`` when a newer library migrated it.
    @discardableResult
    public func migrate() async throws -> Int {
        try await leases.withConnection { try await Migrator(schema: schema).migrate($0) }
    }

    /// The schema's version: 0 before ``migrate()``.
    public func schemaVersion() async throws -> Int {
        try await leases.withConnection { try await Migrator(schema: schema).currentVersion($0) }
    }

    /// The newest schema version this library knows.
    public static var latestSchemaVersion: Int { Migration.latestVersion }

    /// Closes the store's connections.
    public func close() async {
        await leases.close()
    }
}
