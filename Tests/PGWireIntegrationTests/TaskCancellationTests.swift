import PGWire
import Testing

// Cancelling the task that runs an operation ends it with CancellationError, whichever API it
// went through, and the connection it used is left in step (or closed, never out of step).
extension Integration {
    @Suite struct TaskCancellationTests {
        /// Runs `operation` on a fresh connection in a task, waits until that connection's
        /// backend runs a statement starting with `prefix`, cancels the task, and checks the
        /// task threw CancellationError and the connection still answers.
        static func cancelWhileRunning<T: Sendable>(
            _ prefix: String, _ operation: @escaping @Sendable (PGConnection) async throws -> T
        ) async throws {
            let connection = try await Integration.connect()
            let observer = try await Integration.connect()
            defer { Task { await connection.close(); await observer.close() } }
            let task = Task { try await operation(connection) }
            try await CancellationTests.waitUntilRunning(connection.processID!, prefix, observer: observer)
            task.cancel()
            let outcome = await task.result
            #expect(outcome.failure is CancellationError, "unexpected outcome: \(outcome)")
            #expect(!connection.isClosed)
            #expect(connection.transactionStatus == .idle)
            #expect(try await connection.query("SELECT 11").collect()[0].decode(Int.self, at: 0) == 11)
        }

        @Test func extendedQuery() async throws {
            try await Self.cancelWhileRunning("SELECT pg_sleep") { try await $0.execute("SELECT pg_sleep(30)") }
        }

        @Test func preparedStatement() async throws {
            try await Self.cancelWhileRunning("SELECT pg_sleep") { connection in
                let statement = try await connection.prepare("SELECT pg_sleep($1)")
                return try await statement.execute([30.0])
            }
        }

        @Test func pipeline() async throws {
            try await Self.cancelWhileRunning("SELECT pg_sleep") { connection in
                try await connection.pipeline(["SELECT 1", "SELECT pg_sleep(30)", "SELECT 3"]).count
            }
        }

        @Test func transaction() async throws {
            try await Self.cancelWhileRunning("SELECT pg_sleep") { connection in
                try await connection.withTransaction { transaction in
                    try await transaction.execute("SELECT pg_sleep(30)")
                }
            }
        }

        @Test func copyOut() async throws {
            try await Self.cancelWhileRunning("COPY (SELECT pg_sleep") { connection in
                var chunks = 0
                for try await _ in try await connection.copyOut("COPY (SELECT pg_sleep(30)) TO STDOUT") { chunks += 1 }
                return chunks
            }
        }

        /// COPY FROM STDIN cancelled while the server works on the rows (a trigger sleeps):
        /// the server's answer to the CancelRequest becomes CancellationError, nothing is stored.
        @Test func copyInWhileTheServerWorks() async throws {
            try await Self.cancelWhileRunning("COPY") { connection in
                _ = try await connection.simpleQuery("""
                    CREATE TEMP TABLE slow_copy (n int4);
                    CREATE FUNCTION pg_temp.slow_row() RETURNS trigger LANGUAGE plpgsql
                        AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$;
                    CREATE TRIGGER slow BEFORE INSERT ON slow_copy FOR EACH ROW EXECUTE FUNCTION pg_temp.slow_row()
                    """)
                return try await connection.copyIn(table: "slow_copy") { writer in try await writer.writeRow(Int32(1)) }
            }
        }

        /// COPY FROM STDIN whose body is cancelled: CopyFail rolls the COPY back, nothing is
        /// stored, and the caller gets the body's CancellationError.
        @Test func copyIn() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            _ = try await connection.simpleQuery("CREATE TEMP TABLE cancelled_copy (n int4)")
            let started = Latch()
            let task = Task {
                try await connection.copyIn(table: "cancelled_copy") { writer in
                    try await writer.writeRow(Int32(1))
                    started.open()
                    try await Task.sleep(for: .seconds(30))
                }
            }
            await started.wait()
            task.cancel()
            #expect(await task.result.failure is CancellationError)
            #expect(try await connection.query("SELECT count(*) FROM cancelled_copy").collect()[0].decode(Int.self, at: 0) == 0)
        }

        @Test func poolQuery() async throws {
            let pool = PGPool(configuration: try Integration.poolConfiguration("cancel-pool-query", maximum: 1))
            let running = Task { try await pool.run() }
            defer { running.cancel() }
            let observer = try await Integration.connect()
            defer { Task { await observer.close() } }
            let task = Task { try await pool.execute("SELECT pg_sleep(30)") }
            #expect(try await Integration.eventually {
                try await observer.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cancel-pool-query' AND state = 'active'"
                ).collect()[0].decode(Int.self, at: 0) == 1
            })
            task.cancel()
            #expect(await task.result.failure is CancellationError)
            #expect(try await pool.query("SELECT 2").rows[0].decode(Int.self, at: 0) == 2)
        }
    }
}
