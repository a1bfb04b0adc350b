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

extension StoreIntegration.ConnectionLeaseTests {
    /// The server ends the store's session (an administrator, a failover): the operation that
    /// meets the dead connection fails with a typed error, and the store opens a new
    /// connection for the next one; nothing half-written remains.
    @Test func aTerminatedSessionIsReplacedByTheNextOperation() async throws {
        var connection = try StoreIntegration.connectionConfiguration()
        connection.applicationName = "pgevents-terminate-test"
        let store = try EventStore(.init(
            connection: connection, schema: "t_term_" + String(UUID().uuidString.prefix(6)).lowercased(), maximumConnections: 1))
        defer { Task { await store.close() } }
        try await store.migrate()
        try await store.append(to: "t-1", expected: .noStream, try StoreIntegration.events(2))
        let admin = try await StoreIntegration.connect()
        defer { Task { await admin.close() } }
        _ = try await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgevents-terminate-test'"
        ).collect()
        var failures = 0
        var result: AppendResult?
        for _ in 0..<3 where result == nil {
            do {
                result = try await store.append(to: "t-1", expected: .exact(2), try StoreIntegration.events(1))
            } catch let error as PGError {
                failures += 1
                #expect([.serverClosedConnection, .closed, .connectionFailed].contains(error.code), "\(error)")
            }
        }
        #expect(failures <= 1)
        #expect(result?.versions == ["t-1": 3])
        #expect(try await store.readStream("t-1").collect().map(\.version) == [1, 2, 3])
    }
}
