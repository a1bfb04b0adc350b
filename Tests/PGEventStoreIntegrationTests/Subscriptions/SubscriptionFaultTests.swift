import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Synchronization
import Testing

extension StoreIntegration {
    /// A subscription resumes from its checkpoint after its connection is lost in each way a
    /// connection is lost, and loses nothing.
    @Suite struct SubscriptionFaultTests {
        static let quick = SubscriptionOptions(
            pollInterval: .milliseconds(200), rebalanceInterval: .milliseconds(200),
            reconnectBackoff: ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200)), queryTimeout: .seconds(1))

        /// The runner's backend (which also carries its LISTEN) is terminated three times
        /// while events are appended: the at-least-once subscriber gets every event, and the
        /// exactly-once one applies each exactly once.
        @Test func backendTerminatedMidStream() async throws {
            let (store, _) = try await StoreIntegration.storeWithAppliedTable(events: 0, stream: "")
            defer { Task { await store.close() } }
            let atLeastOnce = try store.subscribe("terminated-alo", options: Self.quick)
            let exactly = try store.subscribe("terminated-eo", options: Self.quick)
            let (seen, alo) = consume(atLeastOnce)
            let eoEnding = Mutex<String?>(nil)
            let eo = Task {
                do {
                    try await exactly.run { events, transaction in try await StoreIntegration.apply(events, on: transaction, store) }
                } catch {
                    eoEnding.withLock { $0 = "threw \(error)" }
                    throw error
                }
            }
            for round in 0..<3 {
                try await store.append(to: "t-\(round)", try StoreIntegration.events(50))
                try await waitUntil(.seconds(20)) { try await store.subscriptions().allSatisfy { $0.runnerPIDs.count == 1 } }
                for info in try await store.subscriptions() {
                    for pid in info.runnerPIDs { _ = try await store.pool.query("SELECT pg_terminate_backend($1)", [pid]) }
                }
                try await store.append(to: "t-\(round)", try StoreIntegration.events(50, first: 50))
            }
            let order = try await StoreIntegration.committedPositions(store)
            #expect(order.count == 300)
            var applied = 0
            try await waitUntil(
                .seconds(30),
                state: "at-least-once \(seen.distinctCount) distinct, exactly-once \(applied) of \(order.count); "
                    + "loops ended: \(seen.ending.withLock { $0 } ?? "no"), \(eoEnding.withLock { $0 } ?? "no")"
            ) {
                applied = try await StoreIntegration.appliedPositions(store).count
                return seen.distinctCount == order.count && applied >= order.count
            }
            atLeastOnce.stop()
            exactly.stop()
            try await alo.value
            try await eo.value
            #expect(seen.firstDeliveries == order)
            #expect(try await StoreIntegration.appliedPositions(store) == order)
        }

        /// The server restarts under a running subscription: it reconnects by itself and goes
        /// on from its checkpoint.
        @Test func serverRestart() async throws {
            let folder = try TestServer.makeReachableFolder(prefix: "pgevents-restart")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var server = try await onOwnThread { try TestServer.start(TestServer.Options(dataDirectory: folder + "/cluster")) }
            let port = server.port
            defer { try? server.stop() }
            let store = try EventStore(EventStore.Configuration(
                connection: PGConnection.Configuration(host: server.host, port: port, user: server.superuser, database: server.database),
                acquireTimeout: .seconds(30)))
            defer { Task { await store.close() } }
            try await store.migrate()
            let subscription = try store.subscribe("restart", options: Self.quick)
            let (seen, consumer) = consume(subscription)
            try await store.append(to: "r-1", try StoreIntegration.events(10))
            try await waitUntil(.seconds(20)) { seen.count >= 10 }

            try await onOwnThread { [server] in try server.stop() }
            try await Task.sleep(for: .milliseconds(300))
            server = try await onOwnThread { try TestServer.start(TestServer.Options(dataDirectory: folder + "/cluster", port: port)) }
            try await waitUntil(.seconds(30)) {
                (try? await store.append(to: "r-1", try StoreIntegration.events(10, first: 10))) != nil
            }
            try await waitUntil(.seconds(30)) { seen.distinctCount >= 20 }
            subscription.stop()
            try await consumer.value
            #expect(seen.firstDeliveries == (try await store.readAll().collect().map(\.position)))
            try await onOwnThread { [server] in try server.stop() }
        }

        /// The runner's connection goes silent (its bytes stop, nothing is closed): its own
        /// query timeout notices, it reconnects, ends the old session the server still keeps
        /// (with the share's lock), and goes on.
        @Test(.enabled(if: FreezingProxy.isAvailable)) func blackholedConnection() async throws {
            let server = try StoreIntegration.requireServer()
            let proxy = try FreezingProxy(targetPort: server.port)
            defer { proxy.stop() }
            var connection = PGConnection.Configuration(
                host: "127.0.0.1", port: proxy.port, user: server.superuser, database: server.database)
            connection.cancelGrace = .seconds(1)
            let schema = "t_" + String(UUID().uuidString.prefix(8)).lowercased()
            let store = try EventStore(EventStore.Configuration(connection: connection, schema: schema))
            defer { Task { await store.close() } }
            try await store.migrate()
            let subscription = try store.subscribe("frozen", options: Self.quick)
            let (seen, consumer) = consume(subscription)
            try await store.append(to: "f-1", try StoreIntegration.events(5))
            try await waitUntil(.seconds(20)) { seen.count >= 5 }
            let before = try #require(try await store.subscriptions().first?.runnerPIDs.first)
            proxy.freeze()
            // Appends go through connections opened after the freeze (the pool's idle ones
            // froze too: drop them by opening a fresh store).
            let writer = try await StoreIntegration.freshWriter(schema: schema)
            defer { Task { await writer.close() } }
            try await writer.append(to: "f-1", try StoreIntegration.events(5, first: 5))
            try await waitUntil(.seconds(30)) { seen.distinctCount >= 10 }
            let after = try await writer.subscriptions().first?.runnerPIDs ?? []
            #expect(!after.contains(before), "the frozen session \(before) was ended; runners now \(after)")
            subscription.stop()
            try await withTimeout(.seconds(20)) { try await consumer.value }
            #expect(seen.firstDeliveries == (try await writer.readAll().collect().map(\.position)))
        }

        /// A task cancelled after handling and before its checkpoint: the at-least-once
        /// subscription delivers the event again; the exactly-once one applies it once.
        @Test func cancelledBetweenHandlingAndCheckpoint() async throws {
            let (store, all) = try await StoreIntegration.storeWithAppliedTable(events: 5, stream: "c-1")
            defer { Task { await store.close() } }

            // At-least-once: the third event is in hand when the task is cancelled.
            let handling = Mutex<Int64?>(nil)
            let first = Task {
                for try await event in try store.subscribe("cancel-alo") {
                    if event.position == all[2] {
                        handling.withLock { $0 = event.position }
                        try await Task.sleep(for: .seconds(60))
                    }
                }
            }
            try await waitUntil(.seconds(20)) { handling.withLock { $0 } != nil }
            first.cancel()
            _ = try? await first.value
            var again: [Int64] = []
            let second = try store.subscribe("cancel-alo")
            for try await event in second {
                again.append(event.position)
                if event.position == all[4] { second.stop() }
            }
            #expect(again.first.map { $0 <= all[2] } == true && again.contains(all[2]), "redelivered: \(again)")

            // Exactly-once: the handler wrote its rows and is cancelled before returning.
            let wrote = Mutex(false)
            let third = Task {
                try await store.subscribe("cancel-eo").run { events, transaction in
                    try await StoreIntegration.apply(events, on: transaction, store)
                    wrote.withLock { $0 = true }
                    try await Task.sleep(for: .seconds(60))
                }
            }
            try await waitUntil(.seconds(20)) { wrote.withLock { $0 } }
            third.cancel()
            await #expect(throws: CancellationError.self) { try await third.value }
            let rerun = try store.subscribe("cancel-eo")
            let fourth = Task {
                try await rerun.run { events, transaction in try await StoreIntegration.apply(events, on: transaction, store) }
            }
            try await waitUntil(.seconds(20)) { try await store.subscriptions().first { $0.name == "cancel-eo" }?.lagEvents == 0 }
            rerun.stop()
            try await fourth.value
            #expect(try await StoreIntegration.appliedPositions(store) == all)
        }
    }
}

extension StoreIntegration {
    /// A second store on the test server over a schema that exists, with a pool of its own.
    static func freshWriter(schema: String) async throws -> EventStore {
        try EventStore(EventStore.Configuration(connection: try connectionConfiguration(), schema: schema))
    }
}
