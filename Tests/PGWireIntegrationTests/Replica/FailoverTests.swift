import Foundation
import PGTestServer
import PGWire
import Testing

extension Replicas {
    /// A pool and a listener given both servers follow a failover: the primary stops, the
    /// standby is promoted, and new connections find it through the same server list and
    /// `target_session_attrs`; connections whose server changed kind are retired.
    @Suite("Replicas: failover")
    struct FailoverTests {
        @Test("after the primary stops and the standby is promoted, the pool and the listener reach the new primary")
        func poolAndListenerFollowAPromotion() async throws {
            try await ReplicaPair.withRunning { pair in
                let configuration = ReplicaPair.configuration([pair.primary, pair.standby], .readWrite)
                let pool = PGPool(configuration: .init(connection: configuration, maximumConnections: 2))
                let listener = PGListener(
                    configuration: configuration, backoff: ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(400)))
                #expect(try await ReplicaPair.serverPort(pool) == pair.primary.port)
                let before = try await listener.listen("failover", timeout: .seconds(10))
                try pair.primary.psql("NOTIFY failover, 'before'")
                var iterator = before.makeAsyncIterator()
                #expect(try await iterator.next()?.payload == "before")

                try await onOwnThread {
                    try pair.primary.stop()
                    try pair.standby.promote()
                }

                // A pooled connection to the stopped server fails its query once at most; then the
                // pool opens one that skips the dead host and lands on the promoted standby.
                var failures = 0
                var port: Int?
                while port == nil && failures <= 2 {
                    do { port = try await ReplicaPair.serverPort(pool) } catch { failures += 1 }
                }
                #expect(port == pair.standby.port, "failures: \(failures)")
                for _ in 0..<5 { #expect(try await ReplicaPair.serverPort(pool) == pair.standby.port) }

                // The listener's sequence ended with the loss; listening again waits for the
                // reconnect, which finds the new primary.
                await #expect(throws: (any Error).self) { while try await iterator.next() != nil {} }
                let after = try await listener.listen("failover", timeout: .seconds(20))
                try pair.standby.psql("NOTIFY failover, 'after'")
                var next = after.makeAsyncIterator()
                #expect(try await next.next()?.payload == "after")
                #expect(listener.reconnectCount >= 1)
                await listener.close()
                await pool.close()
            }
        }

        @Test("connections whose server turned read-only or was promoted are retired, and the next ones follow the rules")
        func connectionsOfChangedServersAreRetired() async throws {
            try await ReplicaPair.withRunning { pair in
                let servers = [pair.primary, pair.standby]
                let writes = PGPool(configuration: .init(connection: ReplicaPair.configuration(servers, .readWrite), maximumConnections: 1))
                let reads = PGPool(configuration: .init(connection: ReplicaPair.configuration(servers, .standby), maximumConnections: 1))
                #expect(try await ReplicaPair.serverPort(writes) == pair.primary.port)
                #expect(try await ReplicaPair.serverPort(reads) == pair.standby.port)

                // The old primary stays up but read-only (as a demoted server would be); the standby
                // takes over the writes.
                try await onOwnThread {
                    try pair.primary.psql("ALTER SYSTEM SET default_transaction_read_only = on; SELECT pg_reload_conf()")
                    try pair.standby.promote()
                }
                // Each server reports its change after the next statement on the old connection;
                // the pool retires that connection on its return, and the next connect skips the
                // read-only server. Bounded: a pool that never retires fails here.
                let deadline = ContinuousClock.now + .seconds(15)
                var writePort = try await ReplicaPair.serverPort(writes)
                while writePort != pair.standby.port && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                    writePort = try await ReplicaPair.serverPort(writes)
                }
                #expect(writePort == pair.standby.port)
                let stillWriting = try await writes.query("SELECT NOT current_setting('transaction_read_only')::bool", []).rows
                #expect(try stillWriting[0].decode(Bool.self, at: 0))

                // The standby pool's connection now sits on a primary: retired, and no standby is
                // left, so the next acquire fails naming what it looked for.
                var readError: PGError?
                while readError == nil && ContinuousClock.now < deadline {
                    do { _ = try await ReplicaPair.serverPort(reads) } catch let error as PGError { readError = error }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(readError?.message.contains("is not standby") == true, "\(String(describing: readError))")
                await writes.close()
                await reads.close()
            }
        }
    }
}
