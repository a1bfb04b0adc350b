import Foundation
import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct ConnectionLeaseTests {
        /// More concurrent operations than connections: they queue for the one connection,
        /// and every one of them completes.
        @Test func operationsBeyondTheConnectionLimitWaitTheirTurn() async throws {
            var connection = try StoreIntegration.connectionConfiguration()
            connection.applicationName = "pgevents-lease-test"
            let store = try EventStore(.init(
                connection: connection, schema: "t_lease_" + String(UUID().uuidString.prefix(6)).lowercased(), maximumConnections: 1))
            defer { Task { await store.close() } }
            try await store.migrate()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<20 {
                    group.addTask { try await store.append(to: "q-\(writer % 4)", try StoreIntegration.events(2)) }
                }
                try await group.waitForAll()
            }
            #expect(try await store.readAll().collect().count == 40)
            let probe = try await StoreIntegration.connect()
            defer { Task { await probe.close() } }
            let sessions = try await probe.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgevents-lease-test'"
            ).collect()
            #expect(try sessions[0].decode(Int64.self, at: 0) == 1, "the store must use exactly its one connection")
        }

        @Test func aClosedStoreRefusesNewWork() async throws {
            let store = try await StoreIntegration.freshStore()
            try await store.append(to: "c-1", try StoreIntegration.events(1))
            await store.close()
            await #expect { try await store.append(to: "c-1", try StoreIntegration.events(1)) } throws: {
                ($0 as? EventStoreError)?.code == .invalidArgument && "\($0)".contains("closed")
            }
        }

        /// A failed COPY append leaves its connection out of any transaction: the next
        /// operation on the (only) connection works.
        @Test func aFailedCopyAppendLeavesAUsableConnection() async throws {
            let store = try await StoreIntegration.freshStore(maximumConnections: 1, copyThreshold: 2)
            defer { Task { await store.close() } }
            try await store.append(to: "f-1", expected: .noStream, try StoreIntegration.events(3))
            await #expect { try await store.append(to: "f-1", expected: .noStream, try StoreIntegration.events(3)) } throws: {
                ($0 as? EventStoreError)?.code == .versionConflict
            }
            let next = try await store.append(to: "f-1", expected: .exact(3), try StoreIntegration.events(3))
            #expect(next.versions == ["f-1": 6])
        }
    }
}
