import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    /// A cancelled task's store call throws CancellationError (as PGWire's calls do), not a
    /// server error or an EventStoreError, and the store goes on working.
    @Suite struct StoreCancellationTests {
        @Test func appendBlockedOnALockThrowsCancellationError() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let blocker = try await StoreIntegration.connect()
            defer { Task { await blocker.close() } }
            let schema = store.configuration.schema
            _ = try await blocker.simpleQuery("BEGIN; LOCK TABLE \"\(schema)\".streams IN ACCESS EXCLUSIVE MODE")
            let append = Task { try await store.append(to: "cart-1", expected: .noStream, try StoreIntegration.events(1)) }
            // Waits until the append's backend waits for the lock.
            var waiting = false
            for _ in 0..<400 where !waiting {
                let rows = try await blocker.query(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = \("\(schema).streams")::regclass"
                ).collect()
                waiting = try rows[0].decode(Int.self, at: 0) > 0
                if !waiting { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(waiting, "the append never waited for the lock")
            append.cancel()
            let outcome = await append.result
            guard case .failure(let error) = outcome else {
                Issue.record("the blocked append succeeded")
                return
            }
            #expect(error is CancellationError, "unexpected error: \(error)")
            _ = try await blocker.simpleQuery("COMMIT")
            let result = try await store.append(to: "cart-1", expected: .noStream, try StoreIntegration.events(1))
            #expect(result.versions == ["cart-1": 1])
        }
    }
}
