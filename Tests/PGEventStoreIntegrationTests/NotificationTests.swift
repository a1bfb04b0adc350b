import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct NotificationTests {
        /// Each appending transaction notifies the store's channel once, whatever its size,
        /// with the new head. A marker NOTIFY sent after both appends committed arrives after
        /// their notifications (the server delivers in commit order), so whatever came before
        /// it is everything the appends sent.
        @Test func oneNotificationPerAppendingTransaction() async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: 50)
            defer { Task { await store.close() } }
            let channel = "pgevents." + store.configuration.schema
            let listener = try await StoreIntegration.connect()
            let marker = try await StoreIntegration.connect()
            defer { Task { await listener.close(); await marker.close() } }
            let notifications = try await listener.listen(channel)
            let small = try await store.append(to: "n-1", try StoreIntegration.events(3))
            let large = try await store.append(to: "n-2", try StoreIntegration.events(120))
            _ = try await marker.execute("SELECT pg_notify($1, 'end')", [channel])

            let collected = Task {
                var payloads: [String] = []
                for try await notification in notifications {
                    if notification.payload == "end" { break }
                    payloads.append(notification.payload)
                }
                return payloads
            }
            let watchdog = Task {
                try await Task.sleep(for: .seconds(20))
                collected.cancel()
            }
            let payloads = try await collected.value
            watchdog.cancel()
            #expect(payloads.count == 2, "\(payloads)")
            #expect(payloads.first?.contains(#""position":\#(small.positions.last!)"#) == true)
            #expect(payloads.last?.contains(#""position":\#(large.positions.last!)"#) == true)
            #expect(payloads.last?.contains(#""transaction_id":\#(large.transactionID)"#) == true)
        }
    }
}
