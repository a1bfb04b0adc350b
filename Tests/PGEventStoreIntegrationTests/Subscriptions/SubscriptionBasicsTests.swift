import Synchronization
import Foundation
import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct SubscriptionBasicsTests {
        /// Catch-up then live without a seam: the events appended before the subscription
        /// started and those appended while it runs come once each, in the table's order.
        @Test func catchUpThenLiveInOrder() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            try await store.append(to: "a-1", try StoreIntegration.events(5))
            let subscription = try store.subscribe("catch-up", options: SubscriptionOptions(batchSize: 2, pollInterval: .seconds(5)))
            let consumer = Task {
                var seen: [RecordedEvent] = []
                for try await event in subscription {
                    seen.append(event)
                    if seen.count == 12 { subscription.stop() }
                }
                return seen
            }
            try await store.append(to: "a-2", try StoreIntegration.events(4))
            try await store.append(to: "a-1", try StoreIntegration.events(3, first: 5))
            let seen = try await withTimeout(.seconds(20)) { try await consumer.value }
            let table = try await store.readAll().collect()
            #expect(seen.map(\.id) == table.map(\.id))
            let info = try #require(try await store.subscriptions().first { $0.name == "catch-up" })
            #expect(info.checkpoint >= table.last!.globalPosition)
            #expect(info.lagEvents == 0)
        }

        /// Closing the store stops its subscriptions: the loop ends with everything handled
        /// checkpointed, and the closed store refuses new subscriptions.
        @Test func closingTheStoreStopsItsSubscriptions() async throws {
            let store = try await StoreIntegration.freshStore()
            try await store.append(to: "k-1", try StoreIntegration.events(3))
            let (seen, consumer) = consume(try store.subscribe("closing", options: SubscriptionOptions(checkpointInterval: .seconds(60))))
            try await waitUntil(.seconds(20)) { seen.count == 3 }
            await store.close()
            try await withTimeout(.seconds(20)) { try await consumer.value }
            let reopened = try await StoreIntegration.freshWriter(schema: store.configuration.schema)
            defer { Task { await reopened.close() } }
            let info = try #require(try await reopened.subscriptions().first)
            let last = try #require(try await reopened.readAll().collect().last)
            #expect(info.checkpoint >= last.globalPosition)
            #expect(info.lagEvents == 0)
            #expect(throws: EventStoreError.self) { try store.subscribe("after-close") }
        }

        /// A second run resumes after the saved checkpoint: nothing handled is delivered again
        /// after a graceful stop.
        @Test func resumesAfterItsCheckpoint() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            try await store.append(to: "r-1", try StoreIntegration.events(6))
            let first = try store.subscribe("resume")
            var firstRun: [Int64] = []
            for try await event in first {
                firstRun.append(event.position)
                if firstRun.count == 4 { first.stop() }
            }
            try await store.append(to: "r-1", try StoreIntegration.events(2, first: 6))
            let second = try store.subscribe("resume")
            var secondRun: [Int64] = []
            for try await event in second {
                secondRun.append(event.position)
                if secondRun.count == 4 { second.stop() }
            }
            let all = try await store.readAll().collect().map(\.position)
            #expect(firstRun == Array(all[0..<4]))
            #expect(secondRun == Array(all[4..<8]))
        }

        /// Filters by category, stream and type select what the server's rows say.
        @Test func filtersSelectTheirEvents() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            try await store.append(to: "order-1", try StoreIntegration.events(2, type: "Placed"))
            try await store.append(to: "user-1", try StoreIntegration.events(2, type: "Placed"))
            try await store.append(to: "order-2", try StoreIntegration.events(2, type: "Paid"))
            let all = try await store.readAll().collect()
            for filter in [SubscriptionFilter.category("order"), .stream("order-2"), .types("Placed"),
                           SubscriptionFilter(categories: ["order"], types: ["Placed"])] {
                let expected = all.filter(filter.matches)
                let subscription = try store.follow(filter: filter, options: SubscriptionOptions(start: .start))
                var seen: [RecordedEvent] = []
                for try await event in subscription {
                    seen.append(event)
                    if seen.count == expected.count { subscription.stop() }
                }
                #expect(seen.map(\.id) == expected.map(\.id), "\(filter)")
            }
        }

        /// Exactly-once: the handler's writes and the checkpoint commit together; a handler
        /// that fails every time on one event parks it and the rest is applied.
        @Test func exactlyOnceAppliesAndParksPoison() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let schema = store.configuration.schema
            _ = try await store.pool.simpleQuery("CREATE TABLE \(schema).seen (position int8 PRIMARY KEY)")
            try await store.append(to: "p-1", try StoreIntegration.events(5))
            let poison = try await store.readAll().collect()[2].position
            let subscription = try store.subscribe(
                "exactly", options: SubscriptionOptions(retry: SubscriptionRetry(maxAttempts: 2, backoff: .milliseconds(1))))
            let runner = Task {
                try await subscription.run { events, transaction in
                    for event in events {
                        if event.position == poison { throw Poison() }
                        _ = try await transaction.execute("INSERT INTO \(schema).seen VALUES ($1)", [event.position])
                    }
                }
            }
            try await waitUntil(.seconds(20)) {
                try await store.pool.query("SELECT count(*) FROM \(schema).seen", []).rows[0].decode(Int64.self, at: 0) == 4
            }
            subscription.stop()
            try await runner.value
            let parked = try await store.pool.query("SELECT position, attempts FROM \(schema).subscription_parked", []).rows
            #expect(parked.count == 1)
            #expect(try parked.first?.decode(Int64.self, at: 0) == poison)
            let info = try #require(try await store.subscriptions().first)
            #expect(info.lagEvents == 0)
        }

        /// Read your writes: the append returns once the subscription has checkpointed past
        /// it, and times out when no runner moves it.
        @Test func appendWaitsForTheSubscription() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let subscription = try store.subscribe("view", options: SubscriptionOptions(checkpointInterval: .seconds(30)))
            let runner = Task { try await subscription.run { _, _ in } }
            let result = try await store.append(
                to: "w-1", [try NewEvent(type: "T", data: PGRawJSON("{}"))], waitFor: ["view"], timeout: .seconds(20))
            let info = try #require(try await store.subscriptions().first)
            #expect(info.checkpoint >= GlobalPosition(transactionID: result.transactionID, position: result.positions[0]))
            subscription.stop()
            try await runner.value
            let stopped = await #expect(throws: EventStoreError.self) {
                try await store.append(
                    to: "w-1", [try NewEvent(type: "T", data: PGRawJSON("{}"))], waitFor: ["view"], timeout: .milliseconds(300))
            }
            #expect(stopped?.code == .waitTimeout)
            let unknown = await #expect(throws: EventStoreError.self) {
                try await store.append(to: "w-1", [try NewEvent(type: "T", data: PGRawJSON("{}"))], waitFor: ["nobody"], timeout: .milliseconds(300))
            }
            #expect(unknown?.code == .notFound)
        }

        /// A reset under running subscriptions: both replay from the new place (the
        /// exactly-once one's next save would otherwise fail against the moved row, and roll
        /// back), and an unknown name is refused.
        @Test func resetReplaysRunningSubscriptions() async throws {
            let (store, all) = try await StoreIntegration.storeWithAppliedTable(events: 6, stream: "x-1")
            defer { Task { await store.close() } }
            let exactly = try store.subscribe("reset-eo")
            let runner = Task { try await exactly.run { events, transaction in try await StoreIntegration.apply(events, on: transaction, store) } }
            let iterated = try store.subscribe("reset-alo")
            let (seen, iterating) = consume(iterated)
            // At-least-once may deliver an event twice (after a reconnect on a loaded
            // machine): count distinct events, and the replay from where the reset happened.
            var applied: [Int64] = []
            try await waitUntil(.seconds(20), state: "applied \(applied), seen \(seen.all)") {
                applied = try await StoreIntegration.appliedPositions(store)
                return applied.count == 6 && seen.distinctCount == 6
            }
            let beforeReset = seen.count
            try await store.resetSubscription("reset-eo", to: .afterPosition(all[2]))
            try await store.resetSubscription("reset-alo", to: .start)
            func replayed() -> [Int64] {
                var first = Set<Int64>()
                return seen.all.dropFirst(beforeReset).filter { first.insert($0).inserted }
            }
            try await waitUntil(.seconds(20), state: "all \(all), applied \(applied), seen \(seen.all) (\(beforeReset) before the reset)") {
                applied = try await StoreIntegration.appliedPositions(store)
                return applied.count == 9 && replayed().count == 6
            }
            #expect(replayed() == all)
            exactly.stop()
            iterated.stop()
            try await runner.value
            try await iterating.value
            #expect(try await StoreIntegration.appliedPositions(store) == all + all[3...])
            let unknown = await #expect(throws: EventStoreError.self) { try await store.resetSubscription("nobody", to: .start) }
            #expect(unknown?.code == .notFound)
        }

        /// One runner per name: a second store (its own pool, as another process would have)
        /// subscribing with the same name stands by, and takes over when the first one's
        /// connection dies.
        @Test func standbyTakesOverWhenTheRunnerDies() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let other = try await StoreIntegration.freshWriter(schema: store.configuration.schema)
            defer { Task { await other.close() } }
            let options = SubscriptionOptions(pollInterval: .milliseconds(200), rebalanceInterval: .milliseconds(200))
            let first = try store.subscribe("single", options: options)
            let second = try other.subscribe("single", options: options)
            let firstSeen = Counter()
            let secondSeen = Counter()
            let a = Task { for try await _ in first { firstSeen.add() } }
            try await waitUntil(.seconds(20)) { try await store.subscriptions().first?.runnerPIDs.count == 1 }
            let b = Task { for try await _ in second { secondSeen.add() } }
            try await store.append(to: "s-1", try StoreIntegration.events(3))
            try await waitUntil(.seconds(20)) { firstSeen.value == 3 }
            try await Task.sleep(for: .milliseconds(500))
            #expect(secondSeen.value == 0)
            // Kill the runner's backend: the standby takes the share.
            let runner = try #require(try await store.subscriptions().first?.runnerPIDs.first)
            _ = try await store.pool.query("SELECT pg_terminate_backend($1)", [runner])
            a.cancel()
            try await store.append(to: "s-1", try StoreIntegration.events(2, first: 3))
            try await waitUntil(.seconds(20)) { secondSeen.value >= 2 }
            second.stop()
            _ = try? await b.value
            _ = try? await a.value
        }
    }
}

private struct Poison: Error {}
