import Foundation
import MetricsTestKit
import PGEventStore
import PGWire
import Synchronization
import Testing

/// Which member handled which stream version, in delivery order.
final class HandledLog: Sendable {
    let entries = Mutex<[(member: Int, stream: String, version: Int64)]>([])
}

extension StoreIntegration {
    @Suite struct ConsumerGroupTests {
        static let options = SubscriptionOptions(
            pollInterval: .milliseconds(100), rebalanceInterval: .milliseconds(100), partitions: 4)

        /// The runner of each share, by share index.
        static func runners(_ store: EventStore, _ name: String) async throws -> [Int32?] {
            try await store.subscriptions().first { $0.name == name }?.shares.map(\.runnerPID) ?? []
        }

        /// Shares move as members join and leave: one member holds all four; a second joins
        /// and gets two (the first gives them up); the second leaves and the first takes them
        /// back. Each stream's events are handled by one member, in order, throughout.
        @Test func sharesRebalanceAsMembersJoinAndLeave() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let other = try await StoreIntegration.freshWriter(schema: store.configuration.schema)
            defer { Task { await other.close() } }
            let handled = HandledLog()
            func run(_ subscription: EventSubscription, member: Int) -> Task<Void, any Error> {
                Task { [handled] in
                    for try await event in subscription {
                        handled.entries.withLock { $0.append((member, event.stream, event.version)) }
                    }
                }
            }
            let first = try store.subscribe("group", options: Self.options)
            let firstTask = run(first, member: 1)
            try await waitUntil(.seconds(20)) {
                let runners = try await Self.runners(store, "group")
                return runners.count == 4 && Set(runners).count == 1 && runners[0] != nil
            }
            for stream in 0..<16 { try await store.append(to: "g-\(stream)", try StoreIntegration.events(3)) }

            let second = try other.subscribe("group", options: Self.options)
            let secondTask = run(second, member: 2)
            try await waitUntil(.seconds(20)) {
                let runners = try await Self.runners(store, "group")
                let counts = Dictionary(grouping: runners.compactMap { $0 }, by: { $0 }).mapValues(\.count)
                return runners.allSatisfy { $0 != nil } && counts.count == 2 && counts.values.allSatisfy { $0 == 2 }
            }
            for stream in 0..<16 { try await store.append(to: "g-\(stream)", try StoreIntegration.events(3, first: 3)) }
            try await waitUntil(.seconds(20)) { handled.entries.withLock { Set($0.map { "\($0.stream)/\($0.version)" }).count } == 96 }
            #expect(Set(handled.entries.withLock { $0.map(\.member) }) == [1, 2], "both members handled events")

            second.stop()
            try await secondTask.value
            try await waitUntil(.seconds(20)) {
                let runners = try await Self.runners(store, "group")
                return runners.allSatisfy { $0 != nil } && Set(runners).count == 1
            }
            for stream in 0..<16 { try await store.append(to: "g-\(stream)", try StoreIntegration.events(1, first: 6)) }
            try await waitUntil(.seconds(20)) { handled.entries.withLock { Set($0.map { "\($0.stream)/\($0.version)" }).count } == 112 }
            first.stop()
            try await firstTask.value

            // Per stream: versions in order, and (at-least-once aside) no stream handled by
            // two members at once: a stream's events move between members only at a
            // rebalance, so its deliveries form runs by member, never interleaved.
            var last: [String: Int64] = [:]
            var disorder = 0
            for entry in handled.entries.withLock({ $0 }) {
                if let previous = last[entry.stream], entry.version <= previous { disorder += 1 }
                last[entry.stream] = entry.version
            }
            #expect(disorder == 0)
        }

        /// Members that start a new group at the same moment all join it: the one whose
        /// creation of the share rows waited for another's sees that one's rows (in one
        /// statement it would not, and took the group for one with no shares).
        @Test func membersStartingTogetherAllJoin() async throws {
            let store = try await StoreIntegration.freshStore(maximumConnections: 8)
            defer { Task { await store.close() } }
            for round in 0..<8 {
                let subscriptions = try (0..<4).map { _ in try store.subscribe("together-\(round)", options: Self.options) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for subscription in subscriptions {
                        group.addTask { try await subscription.run { _, _ in } }
                    }
                    try await waitUntil(.seconds(20)) {
                        try await store.subscriptions().first { $0.name == "together-\(round)" }?.shares.allSatisfy { $0.runnerPID != nil } == true
                    }
                    for subscription in subscriptions { subscription.stop() }
                    try await group.waitForAll()
                }
            }
        }

        /// The subscription's metrics reach the configured factory.
        @Test func metricsCountDeliveriesAndCheckpoints() async throws {
            let metrics = TestMetrics()
            var configuration = EventStore.Configuration(
                connection: try StoreIntegration.connectionConfiguration(), schema: "t_" + String(UUID().uuidString.prefix(8)).lowercased())
            configuration.metricsFactory = metrics
            let store = try EventStore(configuration)
            defer { Task { await store.close() } }
            try await store.migrate()
            try await store.append(to: "m-1", try StoreIntegration.events(7))
            let subscription = try store.subscribe("metered")
            var count = 0
            for try await _ in subscription {
                count += 1
                if count == 7 { subscription.stop() }
            }
            let dimensions = [("subscription", "metered")]
            typealias Label = EventSubscription.MetricLabel
            #expect(try metrics.expectCounter(Label.eventsDelivered, dimensions).totalValue == 7)
            #expect(try metrics.expectCounter(Label.checkpoints, dimensions).totalValue >= 1)
            #expect(try metrics.expectRecorder(Label.batchSize, dimensions).lastValue == 7)
        }
    }
}
