import PGWire
import Testing

extension Integration {
    /// What state a pooled connection is in when it is handed out: never inside a transaction,
    /// never dead, never older than its lifetime.
    @Suite struct PoolConnectionStateTests {
        struct Abandon: Error {}

        /// Proves the connection is outside any transaction: the status says so, and the server
        /// has no transaction id assigned to the session.
        static func expectNoTransaction(_ connection: PGConnection) async throws {
            #expect(connection.transactionStatus == .idle)
            let rows = try await connection.query("SELECT txid_current_if_assigned() IS NULL").collect()
            #expect(try rows[0].decode(Bool.self, at: 0))
        }

        /// A pool of one connection, so that the next user gets the same connection.
        static func singleConnectionPool(_ name: String) throws -> PGPool {
            PGPool(configuration: try Integration.poolConfiguration(name, maximum: 1))
        }

        @Test func bodyThatBeginsAndReturnsLeavesNoTransactionBehind() async throws {
            let pool = try Self.singleConnectionPool("pool-tx-return")
            _ = try await pool.simpleQuery("CREATE TABLE IF NOT EXISTS pool_tx_return (n int)")
            let pid = try await pool.withConnection { connection in
                _ = try await connection.simpleQuery("BEGIN; INSERT INTO pool_tx_return VALUES (1); SELECT txid_current()")
                #expect(connection.transactionStatus == .inTransaction)
                return connection.processID
            }
            try await pool.withConnection { connection in
                #expect(connection.processID == pid)  // reset with ROLLBACK, not replaced
                try await Self.expectNoTransaction(connection)
            }
            #expect(try await pool.query("SELECT count(*) FROM pool_tx_return").rows[0].decode(Int.self, at: 0) == 0)
            await pool.close()
        }

        @Test func bodyThatBeginsAndThrowsLeavesNoTransactionBehind() async throws {
            let pool = try Self.singleConnectionPool("pool-tx-throw")
            _ = try await pool.simpleQuery("CREATE TABLE IF NOT EXISTS pool_tx_throw (n int)")
            await #expect(throws: Abandon.self) {
                try await pool.withConnection { connection in
                    try await connection.execute("BEGIN")
                    try await connection.execute("INSERT INTO pool_tx_throw VALUES (1)")
                    throw Abandon()
                }
            }
            try await pool.withConnection { try await Self.expectNoTransaction($0) }
            #expect(try await pool.query("SELECT count(*) FROM pool_tx_throw").rows[0].decode(Int.self, at: 0) == 0)
            await pool.close()
        }

        @Test func failedTransactionIsResetBeforeTheNextUser() async throws {
            let pool = try Self.singleConnectionPool("pool-tx-failed")
            try await pool.withConnection { connection in
                try await connection.execute("BEGIN")
                let error = await Integration.poolError { try await connection.execute("SELECT 1/0") }
                #expect(error?.sqlState == PGSQLState.divisionByZero)
                #expect(connection.transactionStatus == .failed)
            }
            try await pool.withConnection { try await Self.expectNoTransaction($0) }
            // The pool's own query methods reset too.
            _ = try await pool.simpleQuery("BEGIN; SELECT txid_current()")
            try await pool.withConnection { try await Self.expectNoTransaction($0) }
            await pool.close()
        }

        @Test func withTransactionCommitsOrRollsBack() async throws {
            let pool = PGPool(configuration: try Integration.poolConfiguration("pool-tx-with", maximum: 2))
            _ = try await pool.simpleQuery("CREATE TABLE IF NOT EXISTS pool_tx_with (n int)")
            try await pool.withTransaction { connection in
                #expect(connection.transactionStatus == .inTransaction)
                try await connection.execute("INSERT INTO pool_tx_with VALUES (1)")
            }
            await #expect(throws: Abandon.self) {
                try await pool.withTransaction(.init(isolation: .serializable)) { connection in
                    try await connection.execute("INSERT INTO pool_tx_with VALUES (2)")
                    throw Abandon()
                }
            }
            let rows = try await pool.query("SELECT array_agg(n ORDER BY n) FROM pool_tx_with").rows
            #expect(try rows[0].decode([Int32].self, at: 0) == [1])
            try await pool.withConnection { try await Self.expectNoTransaction($0) }
            await pool.close()
        }

        @Test func connectionOfACancelledTaskIsNotReused() async throws {
            let pool = try Self.singleConnectionPool("pool-cancelled-body")
            let observer = try await Integration.connect()
            let started = Latch()
            let pids = SharedList<Int32>()
            let task = Task {
                try await pool.withConnection { connection in
                    pids.append(connection.processID ?? 0)
                    started.open()
                    return try await connection.simpleQuery("SELECT pg_sleep(30)")
                }
            }
            await started.wait()
            try await Integration.waitUntilActive(pids.all[0], "SELECT pg_sleep", observer: observer)
            task.cancel()
            #expect(await task.result.failure is CancellationError)
            // A CancelRequest could still be on its way: the connection is dropped, and the
            // next user gets a fresh one outside any transaction.
            try await pool.withConnection { connection in
                #expect(connection.processID != pids.all.first)
                try await Self.expectNoTransaction(connection)
            }
            #expect(pool.statistics.total == 1)
            await pool.close()
            await observer.close()
        }

        @Test func killedIdleConnectionIsCaughtByTheHealthCheckAndReplaced() async throws {
            let observer = try await Integration.connect()
            let pool = PGPool(configuration: try Integration.poolConfiguration("pool-health", maximum: 2) {
                $0.healthCheckAfterIdle = .milliseconds(50)
            })
            let first = try await pool.query("SELECT pg_backend_pid()").rows[0].decode(Int32.self, at: 0)
            _ = try await observer.query("SELECT pg_terminate_backend(\(first))").collect()
            #expect(try await Integration.eventually {
                try await observer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(first)").collect()[0]
                    .decode(Int.self, at: 0) == 0
            })
            try await Task.sleep(for: .milliseconds(100))
            // Without the check this query would fail on the dead connection.
            let second = try await pool.query("SELECT pg_backend_pid()").rows[0].decode(Int32.self, at: 0)
            #expect(second != first)
            #expect(pool.statistics.total == 1)
            await pool.close()
            await observer.close()
        }

        @Test func maximumLifetimeReplacesConnections() async throws {
            let pool = PGPool(configuration: try Integration.poolConfiguration("pool-lifetime", maximum: 1) {
                $0.maximumLifetime = .seconds(1)
                $0.healthCheckAfterIdle = nil
            })
            let started = ContinuousClock.now
            let first = try await pool.query("SELECT pg_backend_pid()").rows[0].decode(Int32.self, at: 0)
            let again = try await pool.query("SELECT pg_backend_pid()").rows[0].decode(Int32.self, at: 0)
            if ContinuousClock.now - started < .milliseconds(800) {
                #expect(again == first)  // reused within its lifetime (unless the machine was too slow to tell)
            }
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await pool.query("SELECT pg_backend_pid()").rows[0].decode(Int32.self, at: 0)
            #expect(second != first && second != again)
            #expect(pool.statistics.total == 1)
            await pool.close()
        }

        @Test func idleTimeoutClosesIdleConnectionsWithoutRun() async throws {
            let name = "pool-idle"
            let observer = try await Integration.connect()
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 3) {
                $0.idleTimeout = .milliseconds(200)
            })
            // Three connections at once, then all idle.
            let latch = Latch()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { try await pool.withConnection { _ in await latch.wait() } } }
                #expect(try await Integration.eventually { pool.statistics.inUse == 3 })
                latch.open()
                try await group.waitForAll()
            }
            #expect(pool.statistics.idle == 3)
            try await Task.sleep(for: .milliseconds(300))
            // Each use closes the longest-idle connection past the timeout.
            for _ in 0..<3 { _ = try await pool.query("SELECT 1") }
            #expect(pool.statistics.total == 1)
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 1 })
            await pool.close()
            await observer.close()
        }
    }
}
