import Foundation
import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    /// The global order, (transaction id, position), agrees with each stream's versions, also
    /// when many writers append to one stream at once: a reader (a subscription) sees each
    /// stream's events in version order.
    @Suite struct GlobalOrderTests {
        @Test func concurrentAppendsToOneStreamKeepVersionOrderInTheGlobalOrder() async throws {
            let store = try await StoreIntegration.freshStore(maximumConnections: 8)
            defer { Task { await store.close() } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for round in 0..<150 {
                            // Single events, small batches and a second stream now and then.
                            if round % 10 == 0 {
                                try await store.append([
                                    StreamWrite(stream: "hot-1", expected: .any, events: try StoreIntegration.events(2)),
                                    StreamWrite(stream: "hot-\(2 + writer % 2)", expected: .any, events: try StoreIntegration.events(1)),
                                ])
                            } else {
                                try await store.append(to: "hot-1", try StoreIntegration.events(1 + round % 3))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await store.pool.query(
                "SELECT stream_name, stream_version FROM \(store.configuration.schema).events ORDER BY transaction_id, position", []
            ).rows
            var last: [String: Int64] = [:]
            var inversions: [String] = []
            for row in rows {
                let stream = try row.decode(String.self, at: 0)
                let version = try row.decode(Int64.self, at: 1)
                if let previous = last[stream], version <= previous { inversions.append("\(stream) v\(version) after v\(previous)") }
                last[stream] = version
            }
            #expect(inversions.isEmpty, "\(inversions.count) inversions, first: \(inversions.prefix(5))")
        }
    }
}
