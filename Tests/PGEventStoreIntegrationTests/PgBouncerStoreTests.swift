import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Synchronization
import Testing

extension StoreIntegration {
    /// The store through a real PgBouncer in transaction mode: appends, reads and pipelines go
    /// through it; subscriptions and migrations use the direct session connection.
    @Suite(
        .enabled(
            if: PgBouncer.testsShouldRun,
            "pgbouncer is not installed (apt-get install pgbouncer); PGEVENTS_REQUIRE_PGBOUNCER=1 makes this a failure"))
    struct PgBouncerStoreTests {
        /// The SCRAM test user through `bouncer` (pooler mode on) and directly.
        static func configurations(_ bouncer: PgBouncer) throws -> (pooled: PGConnection.Configuration, direct: PGConnection.Configuration) {
            let server = try StoreIntegration.requireServer()
            let user = server.user(.scramSHA256)
            var pooled = PGConnection.Configuration(
                host: bouncer.host, port: bouncer.port, user: user.name, password: user.password, database: server.database,
                applicationName: "pgevents-bouncer-tests")
            pooled.tls = .init(mode: .disable)
            pooled.poolerMode = .transaction
            var direct = pooled
            direct.servers = [.init(host: server.host, port: server.port)]
            direct.poolerMode = .none
            return (pooled, direct)
        }

        static func withBouncer(_ body: (PgBouncer) async throws -> Void) async throws {
            let bouncer = try PgBouncer.start(for: try StoreIntegration.requireServer())
            defer { try? bouncer.stop() }
            try await body(bouncer)
        }

        static func schema() -> String { "b_" + String(UUID().uuidString.prefix(8)).lowercased() }

        /// Appends of one statement and of COPY (BEGIN, statements, COPY, COMMIT on one server
        /// connection), concurrent ones from a pool of four, reads of a stream and of all
        /// events, all through the pooler.
        @Test func appendsAndReadsThroughThePooler() async throws {
            try await Self.withBouncer { bouncer in
                let (pooled, direct) = try Self.configurations(bouncer)
                var configuration = EventStore.Configuration(
                    connection: pooled, schema: Self.schema(), maximumConnections: 4, copyThreshold: 100, pageSize: 64)
                configuration.sessionConnection = direct
                let store = try EventStore(configuration)
                defer { Task { await store.close() } }
                try await store.migrate()
                let small = try await store.append(to: "order-1", expected: .noStream, try StoreIntegration.events(3))
                #expect(small.positions.count == 3)
                let large = try await store.append(to: "order-1", expected: .exact(3), try StoreIntegration.events(250, first: 3))
                #expect(large.positions.count == 250)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<8 {
                        group.addTask {
                            for round in 0..<5 {
                                _ = try await store.append(
                                    to: "cart-\(writer)", try StoreIntegration.events(round % 2 == 0 ? 2 : 120, first: round))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let conflict = await #expect(throws: EventStoreError.self) {
                    _ = try await store.append(to: "order-1", expected: .exact(7), try StoreIntegration.events(1))
                }
                #expect(conflict?.code == .versionConflict)
                var versions: [Int64] = []
                for try await event in store.readStream("order-1") { versions.append(event.version) }
                #expect(versions == Array(1...253))
                var all = 0
                var last = GlobalPosition.start
                var ordered = true
                for try await event in store.readAll(after: .start) {
                    all += 1
                    ordered = ordered && event.globalPosition > last
                    last = event.globalPosition
                }
                #expect(all == 253 + 8 * (2 * 3 + 120 * 2))
                #expect(ordered)
            }
        }

        /// A named subscription with the direct session connection receives what is appended
        /// through the pooler, and `append(waitFor:)` (which LISTENs) returns once it has.
        @Test func subscriptionWithADirectSessionConnection() async throws {
            try await Self.withBouncer { bouncer in
                let (pooled, direct) = try Self.configurations(bouncer)
                var configuration = EventStore.Configuration(connection: pooled, schema: Self.schema(), copyThreshold: 100)
                configuration.sessionConnection = direct
                let store = try EventStore(configuration)
                defer { Task { await store.close() } }
                try await store.migrate()
                let received = Mutex<[String]>([])
                let subscription = try store.subscribe(
                    "projector", options: SubscriptionOptions(start: .start, checkpointInterval: .milliseconds(100), pollInterval: .seconds(30)))
                let running = Task {
                    try await subscription.run { events, _ in
                        received.withLock { $0 += events.map { "\($0.stream)/\($0.version)" } }
                    }
                }
                _ = try await store.append(to: "item-1", try StoreIntegration.events(2))
                // Waits through LISTEN on the session connection for the checkpoint to pass.
                _ = try await store.append(
                    to: "item-2", try StoreIntegration.events(150), waitFor: ["projector"], timeout: .seconds(20))
                #expect(received.withLock { $0.count } == 152)
                #expect(received.withLock { $0.first } == "item-1/1")
                subscription.stop()
                try await running.value
            }
        }

        /// Behind the pooler without a session connection, what needs a session fails at once
        /// with an error naming the setting; appends and reads still work.
        @Test func misconfigurationNamesTheMissingSetting() async throws {
            try await Self.withBouncer { bouncer in
                let (pooled, direct) = try Self.configurations(bouncer)
                let schema = Self.schema()
                var migrating = EventStore.Configuration(connection: pooled, schema: schema)
                migrating.sessionConnection = direct
                let migrated = try EventStore(migrating)
                try await migrated.migrate()
                await migrated.close()

                let store = try EventStore(EventStore.Configuration(connection: pooled, schema: schema))
                defer { Task { await store.close() } }
                func expectNamed(_ error: EventStoreError?) {
                    #expect(error?.code == .invalidArgument)
                    #expect(error?.message.contains("sessionConnection") == true)
                    #expect(error?.message.contains("pooler_mode=transaction") == true)
                }
                expectNamed(await #expect(throws: EventStoreError.self) { try await store.migrate() })
                expectNamed(#expect(throws: EventStoreError.self) { _ = try store.subscribe("s") })
                expectNamed(#expect(throws: EventStoreError.self) { _ = try store.follow() })
                expectNamed(await #expect(throws: EventStoreError.self) {
                    _ = try await store.append(to: "a-1", try StoreIntegration.events(1), waitFor: ["s"], timeout: .seconds(1))
                })
                // The append before the wait went through; reads work.
                var count = 0
                for try await _ in store.readStream("a-1") { count += 1 }
                #expect(count == 1)

                // A session connection that is itself a transaction pooler is refused too.
                var wrong = EventStore.Configuration(connection: pooled, schema: schema)
                wrong.sessionConnection = pooled
                let misdirected = try EventStore(wrong)
                defer { Task { await misdirected.close() } }
                let error = #expect(throws: EventStoreError.self) { _ = try misdirected.subscribe("s") }
                #expect(error?.message.contains("sessionConnection has poolerMode .transaction") == true)
            }
        }
    }
}
