import PGWire
import Testing

extension Integration {
    @Suite struct TransactionTests {
        struct BodyFailed: Error, Equatable {}

        @Test func commitsOnReturn() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE tx_commit (v int4)")
            let value = try await connection.withTransaction { connection in
                #expect(connection.transactionStatus == .inTransaction)
                try await connection.execute("INSERT INTO tx_commit VALUES (1), (2)")
                return 42
            }
            #expect(value == 42)
            #expect(connection.transactionStatus == .idle)
            let count = try await connection.query("SELECT count(*) FROM tx_commit").collect()
            #expect(try count[0].decode(Int.self, at: 0) == 2)
        }

        @Test func rollsBackOnThrowAndRethrowsTheOriginalError() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE tx_rollback (v int4)")
            await #expect(throws: BodyFailed.self) {
                try await connection.withTransaction { connection in
                    try await connection.execute("INSERT INTO tx_rollback VALUES (1)")
                    throw BodyFailed()
                }
            }
            #expect(connection.transactionStatus == .idle)
            let count = try await connection.query("SELECT count(*) FROM tx_rollback").collect()
            #expect(try count[0].decode(Int.self, at: 0) == 0)

            let serverError = await #expect(throws: PGError.self) {
                try await connection.withTransaction { connection in
                    try await connection.execute("INSERT INTO tx_rollback VALUES (1 / 0)")
                }
            }
            #expect(serverError?.sqlState == PGSQLState.divisionByZero)
            #expect(connection.transactionStatus == .idle)
        }

        @Test func swallowedErrorMakesCommitRollBack() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) {
                try await connection.withTransaction { connection in
                    _ = try? await connection.execute("SELECT 1 / 0")
                    #expect(connection.transactionStatus == .failed)
                }
            }
            #expect(error?.code == .transactionRolledBack)
            #expect(connection.transactionStatus == .idle)
        }

        @Test func failedRollbackIsAttached() async throws {
            let connection = try await Integration.connect()
            let killer = try await Integration.connect()
            defer { Task { await killer.close() } }
            let pid = try #require(connection.processID)
            let error = await #expect(throws: PGTransactionError.self) {
                try await connection.withTransaction { _ in
                    // The backend dies inside the transaction: the rollback cannot succeed.
                    try await killer.execute("SELECT pg_terminate_backend(\(pid))")
                    try await Task.sleep(for: .milliseconds(200))
                    throw BodyFailed()
                }
            }
            #expect(error?.error is BodyFailed)
            #expect((error?.rollbackError as? PGError)?.code == .serverClosedConnection)
        }

        @Test(arguments: PGIsolationLevel.allCases)
        func isolationLevel(_ level: PGIsolationLevel) async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let shown = try await connection.withTransaction(PGTransactionOptions(isolation: level)) { connection in
                try await connection.query("SHOW transaction_isolation").collect()[0].decode(String.self, at: 0)
            }
            #expect(shown == level.rawValue.lowercased())
        }

        @Test func readOnlyRejectsWrites() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            // Temporary tables are writable even in read-only transactions; use a real one.
            try await connection.execute("CREATE TABLE IF NOT EXISTS tx_ro (v int4)")
            let error = await #expect(throws: PGError.self) {
                try await connection.withTransaction(PGTransactionOptions(isolation: .serializable, readOnly: true, deferrable: true)) {
                    connection in
                    #expect(try await connection.query("SHOW transaction_read_only").collect()[0].decode(String.self, at: 0) == "on")
                    try await connection.execute("INSERT INTO tx_ro VALUES (1)")
                }
            }
            #expect(error?.sqlState == PGSQLState.readOnlySQLTransaction)
        }

        @Test func nestedTransactionIsRefused() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) {
                try await connection.withTransaction { connection in
                    try await connection.withTransaction { _ in }
                }
            }
            #expect(error?.code == .invalidArgument)
            #expect(connection.transactionStatus == .idle)
        }
    }
}
