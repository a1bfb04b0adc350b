import Foundation
import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct AppendTests {
        static func conflict(_ error: any Error, stream: String, expected: String, actual: Int64?) -> Bool {
            guard let error = error as? EventStoreError, error.code == .versionConflict else { return false }
            return error.stream == stream && error.expectedVersion?.description == expected && error.actualVersion == actual
        }

        @Test func appendsNumberVersionsFromOneAndPositionsAscend() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let first = try await store.append(to: "order-1", expected: .noStream, StoreIntegration.events(3))
            #expect(first.versions == ["order-1": 3])
            #expect(first.positions.count == 3 && first.positions == first.positions.sorted())
            let second = try await store.append(to: "order-1", expected: .exact(3), StoreIntegration.events(2, first: 3))
            #expect(second.versions == ["order-1": 5])
            #expect(second.positions[0] > first.positions[2])
            // Several events to one stream take their own statement: it checks like the others.
            await #expect { try await store.append(to: "order-1", expected: .exact(3), try StoreIntegration.events(2)) } throws: {
                Self.conflict($0, stream: "order-1", expected: "3", actual: 5)
            }
            await #expect { try await store.append(to: "order-9", expected: .streamExists, try StoreIntegration.events(2)) } throws: {
                Self.conflict($0, stream: "order-9", expected: "exists", actual: nil)
            }
            let read = try await store.readStream("order-1").collect()
            #expect(read.map(\.version) == [1, 2, 3, 4, 5])
            #expect(read.map(\.position) == first.positions + second.positions)
            #expect(Set(read.map(\.transactionID)) == [first.transactionID, second.transactionID])
        }

        @Test(arguments: [false, true])
        func everyExpectationIsCheckedAndAConflictWritesNothing(copy: Bool) async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: copy ? 1 : 256)
            defer { Task { await store.close() } }
            try await store.append(to: "cart-1", expected: .noStream, StoreIntegration.events(2))
            await #expect { try await store.append(to: "cart-1", expected: .noStream, StoreIntegration.events(1)) } throws: {
                Self.conflict($0, stream: "cart-1", expected: "no_stream", actual: 2)
            }
            await #expect { try await store.append(to: "cart-1", expected: .exact(1), StoreIntegration.events(1)) } throws: {
                Self.conflict($0, stream: "cart-1", expected: "1", actual: 2)
            }
            await #expect { try await store.append(to: "cart-2", expected: .streamExists, StoreIntegration.events(1)) } throws: {
                Self.conflict($0, stream: "cart-2", expected: "exists", actual: nil)
            }
            await #expect { try await store.append(to: "cart-3", expected: .exact(4), StoreIntegration.events(1)) } throws: {
                Self.conflict($0, stream: "cart-3", expected: "4", actual: nil)
            }
            #expect(try await store.streamInfo("cart-2") == nil)
            #expect(try await store.streamInfo("cart-3") == nil)
            #expect(try await store.readStream("cart-1").collect().count == 2)
            try await store.append(to: "cart-1", expected: .streamExists, StoreIntegration.events(1))
            try await store.append(to: "cart-1", expected: .exact(3), StoreIntegration.events(1))
            try await store.append(to: "cart-1", expected: .any, StoreIntegration.events(1))
            try await store.append(to: "cart-4", expected: .exact(0), StoreIntegration.events(1))
            #expect(try await store.streamInfo("cart-1")?.version == 5)
            #expect(try await store.streamInfo("cart-4")?.version == 1)
        }

        /// The second stream's expectation fails: the first stream's events, written before it
        /// in the same statement, are rolled back with it.
        @Test(arguments: [false, true])
        func aFailureInTheSecondStreamRollsBackTheFirst(copy: Bool) async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: copy ? 1 : 256)
            defer { Task { await store.close() } }
            try await store.append(to: "b-2", StoreIntegration.events(1))
            await #expect {
                try await store.append([
                    StreamWrite(stream: "a-1", expected: .noStream, events: StoreIntegration.events(2)),
                    StreamWrite(stream: "b-2", expected: .noStream, events: StoreIntegration.events(2)),
                ])
            } throws: { Self.conflict($0, stream: "b-2", expected: "no_stream", actual: 1) }
            #expect(try await store.streamInfo("a-1") == nil)
            #expect(try await store.readAll().collect().count == 1)
            let both = try await store.append([
                StreamWrite(stream: "a-1", expected: .noStream, events: StoreIntegration.events(2)),
                StreamWrite(stream: "b-2", expected: .exact(1), events: StoreIntegration.events(2)),
            ])
            #expect(both.versions == ["a-1": 2, "b-2": 3])
            #expect(both.positions.count == 4)
        }

        /// A retry after a lost acknowledgement: the same events again succeed with the first
        /// result and write nothing.
        @Test(arguments: [false, true])
        func aRetryReturnsTheOriginalResult(copy: Bool) async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: copy ? 1 : 256)
            defer { Task { await store.close() } }
            let events = try StoreIntegration.events(3)
            let first = try await store.append(to: "pay-1", expected: .noStream, events)
            let again = try await store.append(to: "pay-1", expected: .noStream, events)
            #expect(again == first)
            let anyAgain = try await store.append(to: "pay-1", expected: .any, events)
            #expect(anyAgain == first)
            try await store.append(to: "pay-1", expected: .exact(3), StoreIntegration.events(1))
            let late = try await store.append(to: "pay-1", expected: .noStream, events)
            #expect(late == first)
            #expect(try await store.readStream("pay-1").collect().count == 4)
        }

        /// The one-event statement (the common append) checks, conflicts and retries like the
        /// general one.
        @Test func aSingleEventAppendChecksAndRetriesLikeTheOthers() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let event = try StoreIntegration.events(1)
            let first = try await store.append(to: "one-1", expected: .noStream, event)
            #expect(first.versions == ["one-1": 1] && first.positions.count == 1)
            #expect(try await store.append(to: "one-1", expected: .exact(0), event) == first)
            await #expect { try await store.append(to: "one-1", expected: .exact(0), try StoreIntegration.events(1)) } throws: {
                Self.conflict($0, stream: "one-1", expected: "0", actual: 1)
            }
            await #expect { try await store.append(to: "one-2", expected: .streamExists, try StoreIntegration.events(1)) } throws: {
                Self.conflict($0, stream: "one-2", expected: "exists", actual: nil)
            }
            let second = try await store.append(to: "one-1", expected: .streamExists, try StoreIntegration.events(1))
            #expect(second.versions == ["one-1": 2] && second.transactionID > first.transactionID)
            #expect(try await store.readStream("one-1").collect().map(\.version) == [1, 2])
            #expect(try await store.streamInfo("one-2") == nil)
        }

        @Test func aReusedIDWithOtherContentOrElsewhereIsAnError() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let event = try NewEvent(type: "Paid", data: PGRawJSON(#"{"amount": 10}"#))
            try await store.append(to: "pay-2", expected: .noStream, [event])
            var changed = event
            changed.data = PGRawJSON(#"{"amount": 11}"#)
            await #expect { try await store.append(to: "pay-2", expected: .noStream, [changed]) } throws: {
                ($0 as? EventStoreError)?.code == .idempotencyViolation
            }
            await #expect { try await store.append(to: "pay-3", expected: .any, [event]) } throws: {
                ($0 as? EventStoreError)?.code == .idempotencyViolation
            }
            // Part stored, part new: not a retry.
            await #expect {
                try await store.append(to: "pay-2", expected: .any, [event, try NewEvent(type: "Paid", data: PGRawJSON("{}"))])
            } throws: { ($0 as? EventStoreError)?.code == .idempotencyViolation }
            #expect(try await store.readAll().collect().count == 1)
        }

        /// 1,000 events to 1,000 streams: one transaction, through COPY or one statement.
        @Test(arguments: [false, true])
        func aThousandStreamsInOneTransaction(copy: Bool) async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: copy ? 256 : 10_000)
            defer { Task { await store.close() } }
            let writes = try (0..<1_000).map { try StreamWrite(stream: "acct-\($0)", expected: .noStream, events: StoreIntegration.events(1, first: $0)) }
            let result = try await store.append(writes)
            #expect(result.versions.count == 1_000 && result.versions.values.allSatisfy { $0 == 1 })
            let all = try await store.readAll().collect()
            #expect(all.count == 1_000)
            #expect(Set(all.map(\.transactionID)) == [result.transactionID])
            #expect(all.map(\.position) == result.positions)
            #expect(all.map(\.stream) == writes.map(\.stream))
        }

        @Test func aLargeCopyAppendKeepsOrderAndContent() async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: 100)
            defer { Task { await store.close() } }
            let events = try StoreIntegration.events(20_000)
            let result = try await store.append(to: "bulk-1", expected: .noStream, events)
            #expect(result.versions == ["bulk-1": 20_000])
            let read = try await store.readStream("bulk-1").collect()
            #expect(read.map(\.id) == events.map(\.id))
            #expect(read.map(\.version) == Array(1...20_000))
            #expect(try read[12_345].decode([String: Int].self) == ["n": 12_345])
        }

        /// Writers append to overlapping sets of streams in different orders: heads are
        /// locked in name order, so nobody deadlocks, and every stream's versions run 1...n.
        @Test func concurrentMultiStreamAppendsDoNotDeadlock() async throws {
            let store = try await StoreIntegration.freshStore(maximumConnections: 8)
            defer { Task { await store.close() } }
            let names = (0..<6).map { "shared-\($0)" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        for _ in 0..<25 {
                            let chosen = names.shuffled(using: &generator).prefix(3)
                            try await store.append(chosen.map { try StreamWrite(stream: $0, events: StoreIntegration.events(1)) })
                        }
                    }
                }
                try await group.waitForAll()
            }
            var total = 0
            for name in names {
                let versions = try await store.readStream(name).collect().map(\.version)
                #expect(versions == (0..<versions.count).map { Int64($0 + 1) })
                total += versions.count
            }
            #expect(total == 8 * 25 * 3)
        }

        @Test func invalidAppendsAreRejectedBeforeTheServer() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let event = try NewEvent(type: "X", data: PGRawJSON("{}"))
            for writes in [
                [],
                [StreamWrite(stream: "", events: [event])],
                [StreamWrite(stream: "s-1", events: [])],
                [StreamWrite(stream: "s-1", events: [event, event])],
                [StreamWrite(stream: "s-1", events: [event]), StreamWrite(stream: "s-1", events: try StoreIntegration.events(1))],
            ] {
                await #expect { try await store.append(writes) } throws: { ($0 as? EventStoreError)?.code == .invalidArgument }
            }
        }
    }
}
