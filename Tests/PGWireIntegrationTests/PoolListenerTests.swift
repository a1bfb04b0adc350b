import PGTestServer
import PGWire
import Testing

extension Integration {
    /// PGPool's dedicated notification connection: apart from the pooled ones, reconnecting
    /// after a loss, closed with the pool.
    @Suite struct PoolListenerTests {
        @Test func terminatedListenerEndsSequencesAndReconnectsWhilePooledQueriesGoOn() async throws {
            let name = "pool-listener"
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 2) { configuration in
                configuration.listenerBackoff = ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200))
            })
            let observer = try await Integration.connect()
            let jobs = try await pool.listen("pool_listener_jobs")
            let pid = try #require(pool.listener.processID)
            // The listening session is not lent: two pooled connections can still be in use at once.
            try await withThrowingTaskGroup(of: Int32.self) { group in
                let both = Latch()
                let ready = SharedList<Int32>()
                for _ in 0..<2 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            ready.append(connection.processID ?? 0)
                            if ready.all.count == 2 { both.open() }
                            await both.wait()
                            return connection.processID ?? 0
                        }
                    }
                }
                for try await lent in group { #expect(lent != pid) }
            }
            try await pool.execute("SELECT pg_notify('pool_listener_jobs', 'one')")
            #expect(try await NotificationTests.collect(jobs, count: 1).map(\.payload) == ["one"])

            _ = try await observer.execute("SELECT pg_terminate_backend($1)", [pid])
            let lost = await #expect(throws: PGError.self) { for try await _ in jobs {} }
            #expect(lost?.code == .serverClosedConnection)
            // The pooled connections were not touched: queries go on while the listener reconnects.
            #expect(try await pool.query("SELECT 1::int4").rows[0].decode(Int32.self, at: 0) == 1)
            #expect(try await Integration.eventually { pool.listener.processID.map { $0 != pid } ?? false })
            #expect(pool.listener.reconnectCount == 1)
            let again = try await pool.listen("pool_listener_jobs")
            try await pool.execute("SELECT pg_notify('pool_listener_jobs', 'two')")
            #expect(try await NotificationTests.collect(again, count: 1).map(\.payload) == ["two"])

            // Closing the pool closes its listener: the sequence ends, and so does the session.
            await pool.close()
            let closed = await #expect(throws: PGError.self) { for try await _ in again {} }
            #expect(closed?.code == .closed)
            let refused = await #expect(throws: PGError.self) { try await pool.listen("pool_listener_jobs") }
            #expect(refused?.code == .closed)
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 0 })
            await observer.close()
        }
    }
}
