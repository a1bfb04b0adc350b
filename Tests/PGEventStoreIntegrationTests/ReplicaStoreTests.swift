import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Testing

/// Starts one primary and standby around the whole suite: its tests use schemas of their own
/// and run one at a time (one pauses the standby's replay).
struct StorePairTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await TestServer.withPrimaryAndStandby { primary, standby in
            try await ReplicaStoreTests.$servers.withValue((primary, standby)) { try await function() }
        }
    }
}

/// A store that appends to a primary and reads from its streaming standby: reads and
/// subscriptions on the standby, its own read barrier, read-your-writes, and the lag in status.
@Suite("Store on a standby", StorePairTrait(), .serialized)
struct ReplicaStoreTests {
    @TaskLocal static var servers: (primary: TestServer, standby: TestServer)?

    /// The suite's primary and standby; `body` gets them, and the standby replays again
    /// afterwards even when the test paused it and failed.
    func withServers(_ body: (TestServer, TestServer) async throws -> Void) async throws {
        let (primary, standby) = try #require(Self.servers, "needs StorePairTrait")
        do {
            try await body(primary, standby)
        } catch {
            _ = try? standby.psql("SELECT pg_wal_replay_resume()")
            throw error
        }
        _ = try? standby.psql("SELECT pg_wal_replay_resume()")
    }

    static func configuration(_ server: TestServer) -> PGConnection.Configuration {
        PGConnection.Configuration(
            host: server.host, port: server.port, user: server.superuser, database: server.database,
            applicationName: "pgevents-replica-tests")
    }

    /// A store on `primary` whose reads go to `standby`.
    static func store(
        _ primary: TestServer, _ standby: TestServer, schema: String, readYourWrites: Duration? = nil,
        copyThreshold: Int = 100
    ) throws -> EventStore {
        var configuration = EventStore.Configuration(
            connection: configuration(primary), schema: schema, copyThreshold: copyThreshold)
        configuration.readConnection = Self.configuration(standby)
        configuration.readYourWrites = readYourWrites
        return try EventStore(configuration)
    }

    static func event(_ n: Int) throws -> NewEvent { try NewEvent(type: "Happened", data: PGRawJSON(#"{"n": \#(n)}"#)) }

    @Test("reads go to the standby; read-your-writes waits for its replay and fails in time while replay is paused")
    func readsAndReadYourWrites() async throws {
        try await withServers { primary, standby in
            let plain = try Self.store(primary, standby, schema: "ryw")
            let waiting = try Self.store(primary, standby, schema: "ryw", readYourWrites: .milliseconds(300))
            defer { Task { await plain.close(); await waiting.close() } }
            try await plain.migrate()
            try await onOwnThread { try standby.waitForReplay(of: primary) }
            #expect(plain.readPool !== plain.pool)

            try standby.psql("SELECT pg_wal_replay_pause()")
            // Each append path brings its commit position: one event, one stream, several
            // streams, and COPY (copyThreshold 100).
            let one = try await plain.append(to: "order-1", [try Self.event(1)])
            let many = try await plain.append(to: "order-2", [try Self.event(2), try Self.event(3)])
            let streams = try await plain.append([
                StreamWrite(stream: "order-3", events: [try Self.event(4)]), StreamWrite(stream: "order-4", events: [try Self.event(5)]),
            ])
            let copied = try await plain.append(to: "order-5", try (0..<150).map { try Self.event($0) })
            let positions = [one, many, streams, copied].map { $0.commitLSN ?? 0 }
            #expect(positions.allSatisfy { $0 > 0 })
            #expect(positions == positions.sorted())

            // The standby has replayed none of it: reads there see nothing yet.
            #expect(try await plain.readStream("order-1").collect().isEmpty)
            #expect(try await plain.streamInfo("order-5") == nil)
            let timeout = await #expect(throws: EventStoreError.self) { try await plain.waitForReplay(of: copied, timeout: .milliseconds(200)) }
            #expect(timeout?.code == .replayTimeout)

            // A store with read-your-writes refuses to read past its own append in time.
            _ = try await waiting.append(to: "order-6", [try Self.event(6)])
            let refused = await #expect(throws: EventStoreError.self) { try await waiting.readStream("order-6").collect() }
            #expect(refused?.code == .replayTimeout)
            #expect(refused?.message.contains("had not replayed") == true)

            let status = try await plain.status()
            #expect(status.readServer?.isStandby == true)
            #expect(status.readServer?.server == "\(standby.host):\(standby.port)")
            #expect((status.readServer?.replayLagBytes ?? 0) > 0)
            #expect(status.standbys.count == 1)
            #expect(status.standbys.first?.state == "streaming")

            try standby.psql("SELECT pg_wal_replay_resume()")
            let readBack = try await waiting.readStream("order-6").collect()  // waits for the replay
            #expect(readBack.map(\.type) == ["Happened"])
            try await plain.waitForReplay(of: copied, timeout: .seconds(10))
            #expect(try await plain.readStream("order-5").collect().count == 150)
            #expect(try await plain.streamInfo("order-5")?.version == 150)
        }
    }

    @Test("on the standby, the read barrier holds back a transaction that commits after an older one still open")
    func standbyBarrier() async throws {
        try await withServers { primary, standby in
            let store = try Self.store(primary, standby, schema: "barrier")
            defer { Task { await store.close() } }
            try await store.migrate()
            // An older transaction with an id, open on the primary: it wrote nothing the
            // standby could replay, yet the standby must count it as running.
            let older = try await PGConnection.connect(Self.configuration(primary))
            _ = try await older.simpleQuery("BEGIN; SELECT pg_current_xact_id()")
            let appended = try await store.append(to: "order-1", [try Self.event(1)])
            try await store.waitForReplay(of: appended, timeout: .seconds(10))
            #expect(try await store.readStream("order-1").collect().count == 1)  // replayed ...
            #expect(try await store.readAll().collect().isEmpty)  // ... but above the barrier

            _ = try await older.simpleQuery("COMMIT")
            await older.close()
            try await onOwnThread { try standby.waitForReplay(of: primary) }
            let all = try await store.readAll().collect()
            #expect(all.map(\.stream) == ["order-1"])
        }
    }

    @Test("a subscription fetches from the standby and follows appends to the primary")
    func subscriptionOnTheStandby() async throws {
        try await withServers { primary, standby in
            let store = try Self.store(primary, standby, schema: "follow")
            defer { Task { await store.close() } }
            try await store.migrate()
            _ = try await store.append(to: "order-1", [try Self.event(0)])
            try await onOwnThread { try standby.waitForReplay(of: primary) }
            let subscription = try store.subscribe("on-standby")
            let arrivals = Task { () throws -> [(stream: String, at: ContinuousClock.Instant)] in
                var arrivals: [(stream: String, at: ContinuousClock.Instant)] = []
                for try await event in subscription {
                    arrivals.append((event.stream, .now))
                    if arrivals.count == 2 { break }
                }
                return arrivals
            }
            // While the standby replays nothing, the notified append stays out of reach of a
            // subscription that fetches there (on the primary it would arrive at once) ...
            try standby.psql("SELECT pg_wal_replay_pause()")
            _ = try await store.append(to: "order-2", [try Self.event(1)])
            try await Task.sleep(for: .milliseconds(600))
            let resumed = ContinuousClock.now
            // ... and arrives once the standby replays it.
            try standby.psql("SELECT pg_wal_replay_resume()")
            let received = try await arrivals.value
            #expect(received.map(\.stream) == ["order-1", "order-2"])
            #expect(received.count == 2 && received[0].at < resumed && received[1].at > resumed)
            subscription.stop()
        }
    }
}

/// The whole store follows a failover. A suite of its own, not inside ``ReplicaStoreTests``:
/// it starts its own pair, and pairs run one at a time (`PairGate`).
@Suite("Store failover")
struct StoreFailoverTests {
    /// Its pool and a running subscription reconnect through the server list to the promoted
    /// standby.
    @Test("appends and a running subscription carry on after the primary stops and the standby is promoted")
    func storeFollowsAPromotion() async throws {
        try await TestServer.withPrimaryAndStandby { primary, standby in
            var connection = ReplicaStoreTests.configuration(primary)
            connection.servers = [.init(host: primary.host, port: primary.port), .init(host: standby.host, port: standby.port)]
            connection.targetSessionAttributes = .readWrite
            connection.connectTimeout = .seconds(5)
            let store = try EventStore(EventStore.Configuration(connection: connection, schema: "failover"))
            defer { Task { await store.close() } }
            try await store.migrate()
            var options = SubscriptionOptions()
            options.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(500))
            let subscription = try store.subscribe("survivor", options: options)
            let received = Task { () throws -> [String] in
                var streams: [String] = []
                for try await event in subscription {
                    streams.append(event.stream)
                    if streams.count == 2 { break }
                }
                return streams
            }
            _ = try await store.append(to: "order-1", [try ReplicaStoreTests.event(1)])
            // Asynchronous replication: only what the standby has is kept by the promotion.
            try await onOwnThread {
                try standby.waitForReplay(of: primary)
                try primary.stop()
                try standby.promote()
            }
            // The pool's connection to the stopped server fails one append at most.
            var failures = 0
            var appended: AppendResult?
            while appended == nil && failures <= 4 {
                do { appended = try await store.append(to: "order-2", [try ReplicaStoreTests.event(2)]) } catch { failures += 1 }
            }
            #expect(appended != nil, "failures: \(failures)")
            #expect(try await store.readStream("order-1").collect().count == 1)
            #expect(try await received.value == ["order-1", "order-2"])
            subscription.stop()
        }
    }
}
