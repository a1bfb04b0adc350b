import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct NotificationTests {
        /// Each appending transaction notifies the store's channel once, whatever its size,
        /// with the new head. psql listens (PGWire's LISTEN support is another milestone) and
        /// prints what arrived once its pg_sleep ends.
        @Test func oneNotificationPerAppendingTransaction() async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: 50)
            defer { Task { await store.close() } }
            let server = try StoreIntegration.requireServer()
            let channel = "pgevents." + store.configuration.schema
            let listener = Task.detached {
                try server.psql("LISTEN \"\(channel)\";\nSELECT pg_sleep(4);\nSELECT 1;\n")
            }
            // Wait until psql is listening (it sleeps right after LISTEN).
            let probe = try await StoreIntegration.connect()
            defer { Task { await probe.close() } }
            var sleeping = false
            for _ in 0..<200 where !sleeping {
                let rows = try await probe.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgtestserver' AND query LIKE '%pg_sleep%' AND state = 'active'"
                ).collect()
                sleeping = try rows[0].decode(Int64.self, at: 0) > 0
                if !sleeping { try await Task.sleep(for: .milliseconds(20)) }
            }
            try #require(sleeping, "psql did not start listening")
            let small = try await store.append(to: "n-1", try StoreIntegration.events(3))
            let large = try await store.append(to: "n-2", try StoreIntegration.events(120))
            let output = try await listener.value
            let notifications = output.split(separator: "\n").filter { $0.hasPrefix("Asynchronous notification \"\(channel)\"") }
            #expect(notifications.count == 2, "\(output)")
            #expect(notifications.first?.contains(#""position":\#(small.positions.last!)"#) == true)
            #expect(notifications.last?.contains(#""position":\#(large.positions.last!)"#) == true)
            #expect(notifications.last?.contains(#""transaction_id":\#(large.transactionID)"#) == true)
        }
    }
}
