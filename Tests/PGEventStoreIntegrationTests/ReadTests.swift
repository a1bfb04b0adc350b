import Foundation
import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct ReadTests {
        @Test func streamsReadForwardBackwardFromAVersionWithALimitInPages() async throws {
            let store = try await StoreIntegration.freshStore(pageSize: 3)
            defer { Task { await store.close() } }
            try await store.append(to: "order-7", StoreIntegration.events(10))
            try await store.append(to: "order-8", StoreIntegration.events(2))
            #expect(try await store.readStream("order-7").collect().map(\.version) == Array(1...10))
            #expect(try await store.readStream("order-7", from: 4, limit: 5).collect().map(\.version) == [4, 5, 6, 7, 8])
            #expect(try await store.readStream("order-7", direction: .backward).collect().map(\.version) == Array((1...10).reversed()))
            #expect(try await store.readStream("order-7", from: 5, direction: .backward, limit: 4).collect().map(\.version) == [5, 4, 3, 2])
            #expect(try await store.readStream("order-7", from: 11).collect().isEmpty)
            #expect(try await store.readStream("nothing-here").collect().isEmpty)
            #expect(try await store.streamInfo("nothing-here") == nil)
            let event = try #require(try await store.readStream("order-8", limit: 1).collect().first)
            #expect(event.stream == "order-8" && event.type == "Happened" && event.category == "order")
            #expect(try event.decode([String: Int].self) == ["n": 0])
        }

        @Test func readAllFiltersByCategoryAndTypeInGlobalOrder() async throws {
            let store = try await StoreIntegration.freshStore(pageSize: 2)
            defer { Task { await store.close() } }
            try await store.append(to: "order-1", StoreIntegration.events(2, type: "Placed"))
            try await store.append(to: "invoice-1", StoreIntegration.events(2, type: "Issued"))
            try await store.append(to: "order-2", StoreIntegration.events(1, type: "Shipped"))
            try await store.append(to: "orders", StoreIntegration.events(1, type: "Placed"))
            let all = try await store.readAll().collect()
            try #require(all.count == 6)
            #expect(all.map(\.stream) == ["order-1", "order-1", "invoice-1", "invoice-1", "order-2", "orders"])
            #expect(all.map(\.globalPosition) == all.map(\.globalPosition).sorted())
            #expect(try await store.readAll(categories: ["order"]).collect().map(\.stream) == ["order-1", "order-1", "order-2"])
            #expect(try await store.readAll(types: ["Placed"]).collect().map(\.stream) == ["order-1", "order-1", "orders"])
            #expect(try await store.readAll(categories: ["order", "orders"], types: ["Shipped", "Placed"]).collect().count == 4)
            #expect(try await store.readAll(after: all[2].globalPosition, limit: 2).collect().map(\.id) == [all[3].id, all[4].id])
        }

        /// The gap problem: a transaction that took its id first but commits last. A reader
        /// that has passed the later transactions' events must still get its event, once.
        @Test func aTransactionCommittingLateIsNeitherSkippedNorReadTwice() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            try await store.append(to: "early-1", StoreIntegration.events(1))
            let slow = try await StoreIntegration.connect()
            defer { Task { await slow.close() } }
            _ = try await slow.simpleQuery("BEGIN")
            _ = try await slow.simpleQuery("SELECT pg_current_xact_id()")  // takes its id now
            let later = try await store.append(to: "late-1", StoreIntegration.events(2))
            let seen = try await store.readAll().collect()
            #expect(seen.map(\.stream) == ["early-1"], "events after the open transaction's id wait for it")
            let status = try await store.status()
            #expect(status.barrierHolder?.pid == slow.processID)
            #expect(status.barrierHolder?.since != nil)
            // The slow transaction writes (a later position than `later`) and commits.
            let schema = store.configuration.schema
            _ = try await slow.execute(PGQuery("""
                INSERT INTO \(unescaped: schema).events (stream_name, stream_version, event_id, event_type, data)
                VALUES ('slow-1', 1, gen_random_uuid(), 'Slow', '{}')
                """))
            _ = try await slow.simpleQuery("COMMIT")
            let next = try await store.readAll(after: try #require(seen.last).globalPosition).collect()
            try #require(next.count == 3)
            #expect(next.map(\.stream) == ["slow-1", "late-1", "late-1"])
            #expect(next[0].position > later.positions[1], "it took a later position but an earlier transaction id")
            let everything = try await store.readAll().collect()
            #expect(everything.map(\.id) == seen.map(\.id) + next.map(\.id))
            #expect(try await store.status().barrierHolder == nil)
        }

        @Test func softDeleteHidesEventsAndAnAppendContinuesTheNumbering() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            try await store.append(to: "user-1", StoreIntegration.events(3))
            await #expect { try await store.deleteStream("user-1", expected: .exact(2)) } throws: {
                ($0 as? EventStoreError)?.code == .versionConflict && ($0 as? EventStoreError)?.actualVersion == 3
            }
            await #expect { try await store.deleteStream("user-9") } throws: { ($0 as? EventStoreError)?.code == .notFound }
            try await store.deleteStream("user-1", expected: .exact(3))
            #expect(try await store.streamInfo("user-1") == StreamInfo(name: "user-1", version: 3, isDeleted: true, deletedVersion: 3))
            #expect(try await store.readStream("user-1").collect().isEmpty)
            #expect(try await store.readAll().collect().count == 3, "the global log keeps them")
            await #expect { try await store.append(to: "user-1", expected: .streamExists, StoreIntegration.events(1)) } throws: {
                ($0 as? EventStoreError)?.code == .versionConflict
            }
            let again = try await store.append(to: "user-1", expected: .noStream, StoreIntegration.events(2))
            #expect(again.versions == ["user-1": 5])
            #expect(try await store.readStream("user-1").collect().map(\.version) == [4, 5])
            #expect(try await store.streamInfo("user-1")?.isDeleted == false)
        }

        @Test func snapshotsKeepTheLatestVersion() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            #expect(try await store.loadSnapshot("cart-1") == nil)
            try await store.saveSnapshot(StreamSnapshot(stream: "cart-1", version: 5, type: "Cart", data: PGRawJSON(#"{"items": 2}"#)))
            try await store.saveSnapshot(StreamSnapshot(stream: "cart-1", version: 9, type: "Cart", data: PGRawJSON(#"{"items": 3}"#)))
            try await store.saveSnapshot(StreamSnapshot(stream: "cart-1", version: 7, type: "Cart", data: PGRawJSON(#"{"items": 1}"#)))
            let loaded = try #require(try await store.loadSnapshot("cart-1"))
            #expect(loaded.version == 9 && loaded.type == "Cart")
            #expect(try loaded.data.decode([String: Int].self) == ["items": 3])
        }

        struct ItemAdded: TypedEvent, Equatable {
            static let eventType = "ItemAdded"
            var sku: String
            var quantity: Int
        }

        @Test func registeredTypesDecodeAndUnknownOnesStayRawJSON() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            var registry = EventTypeRegistry()
            registry.register(ItemAdded.self)
            try await store.append(to: "cart-9", [
                try registry.newEvent(ItemAdded(sku: "A-1", quantity: 2)),
                try NewEvent(type: "Legacy", data: PGRawJSON(#"{"old": true}"#)),
            ])
            let read = try await store.readStream("cart-9").collect()
            #expect(read.map(\.type) == ["ItemAdded", "Legacy"])
            #expect(try read[0].decode(using: registry).value(as: ItemAdded.self) == ItemAdded(sku: "A-1", quantity: 2))
            guard case .unknown(let type, let data) = try read[1].decode(using: registry) else {
                Issue.record("an unregistered type must stay raw JSON")
                return
            }
            let decoded = try data.decode([String: Bool].self)
            #expect(type == "Legacy" && decoded == ["old": true])
        }

        @Test func metadataRoundTrips() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let correlation = UUID()
            let metadata = EventMetadata(correlationID: correlation, causationID: UUID(), extra: ["user": "ada", "attempt": 2])
            let event = try NewEvent(type: "Logged", data: PGRawJSON("{}"), metadata: metadata)
            try await store.append(to: "log-1", [event])
            let read = try #require(try await store.readStream("log-1").collect().first)
            #expect(read.metadata == metadata)
            #expect(read.id == event.id)
            #expect(abs(read.createdAt.timeIntervalSinceNow) < 120)
        }
    }
}
