import PGWire
import Testing

extension Integration {
    @Suite struct SimpleQueryTests {
        @Test func severalStatementsEachWithTagColumnsAndRows() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let results = try await connection.simpleQuery("""
                CREATE TEMP TABLE sq (id int, name text);
                INSERT INTO sq VALUES (1, 'one'), (2, NULL), (3, 'drei ✓');
                SELECT id, name FROM sq ORDER BY id;
                UPDATE sq SET name = 'x' WHERE id > 1;
                SELECT count(*) AS n FROM sq WHERE name IS NULL
                """)
            #expect(results.map(\.commandTag) == ["CREATE TABLE", "INSERT 0 3", "SELECT 3", "UPDATE 2", "SELECT 1"])
            #expect(results[1].affectedRows == 3)
            #expect(results[3].affectedRows == 2)
            let select = results[2]
            #expect(select.columns.map(\.name) == ["id", "name"])
            #expect(select.columns[0].dataTypeOID == 23)  // int4
            #expect(select.columns[1].dataTypeOID == 25)  // text
            #expect(select.columns[0].format == .text)
            #expect(select.rows.map(\.texts) == [["1", "one"], ["2", nil], ["3", "drei ✓"]])
            #expect(results[4].rows[0].text(at: 0) == "0")
            #expect(results[4].columnIndex("n") == 0)
            #expect(results[0].columns.isEmpty && results[0].rows.isEmpty)
        }

        @Test func emptyQueryAndEmptyResult() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let empty = try await connection.simpleQuery("")
            #expect(empty.count == 1 && empty[0].commandTag == "")
            let none = try await connection.simpleQuery("SELECT 1 WHERE false")
            #expect(none[0].commandTag == "SELECT 0" && none[0].rows.isEmpty && none[0].columns.count == 1)
        }

        @Test func errorInTheMiddleStopsTheScriptAndLeavesConnectionUsable() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            _ = try await connection.simpleQuery("CREATE TEMP TABLE mid (v int)")
            let error = await #expect(throws: PGError.self) {
                try await connection.simpleQuery("INSERT INTO mid VALUES (1); SELECT 1/0; INSERT INTO mid VALUES (3)")
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState == PGSQLState.divisionByZero)
            #expect(error?.serverMessage == "division by zero")
            // The string ran as one implicit transaction: the first INSERT was rolled back and
            // the last never ran.
            let count = try await connection.simpleQuery("SELECT count(*) FROM mid")
            #expect(count[0].rows[0].text(at: 0) == "0")
            #expect(connection.transactionStatus == .idle)
            #expect(connection.isClosed == false)
        }

        @Test func largeResultAcrossManyReads() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let results = try await connection.simpleQuery("SELECT i, repeat('x', 100) FROM generate_series(1, 50000) i")
            #expect(results[0].rows.count == 50000)
            #expect(results[0].rows[49999].text(at: 0) == "50000")
            #expect(results[0].rows[123].text(at: 1)?.count == 100)
        }

        @Test func largeValueAboveShortMessageCap() async throws {
            // DataRow may exceed the 30,000-byte cap of short messages.
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let results = try await connection.simpleQuery("SELECT repeat('y', 5000000)")
            #expect(results[0].rows[0].text(at: 0)?.utf8.count == 5_000_000)
        }

        @Test func messageLimitIsEnforced() async throws {
            var configuration = try Integration.configuration()
            configuration.messageLimits = .init(maxShortMessageLength: 30_000, maxLongMessageLength: 100_000)
            let connection = try await PGConnection.connect(configuration)
            let error = await #expect(throws: PGError.self) {
                try await connection.simpleQuery("SELECT repeat('y', 200000)")
            }
            #expect(error?.code == .messageTooLarge)
            // An oversized message means we lost our place in the stream: the connection closes.
            #expect(connection.isClosed)
        }

        @Test func transactionStatusFollowsReadyForQuery() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            #expect(connection.transactionStatus == .idle)
            _ = try await connection.simpleQuery("BEGIN")
            #expect(connection.transactionStatus == .inTransaction)
            await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT no_such_column") }
            #expect(connection.transactionStatus == .failed)
            let blocked = await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT 1") }
            #expect(blocked?.sqlState == PGSQLState.inFailedSQLTransaction)
            _ = try await connection.simpleQuery("ROLLBACK")
            #expect(connection.transactionStatus == .idle)
        }

        @Test func copyFromStdinInAScriptFailsCleanly() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            _ = try await connection.simpleQuery("CREATE TEMP TABLE c (v int)")
            let error = await #expect(throws: PGError.self) { try await connection.simpleQuery("COPY c FROM STDIN") }
            #expect(error?.code == .server)
            #expect(error?.serverMessage?.contains("COPY FROM STDIN is not supported") == true)
            let after = try await connection.simpleQuery("COPY (SELECT 1) TO STDOUT; SELECT 2")
            #expect(after.map(\.commandTag) == ["COPY 1", "SELECT 1"])
        }

        @Test func nulInQueryIsRejectedBeforeSending() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT 1\u{0}; DROP TABLE x") }
            #expect(error?.code == .invalidArgument)
            #expect(try await connection.simpleQuery("SELECT 7")[0].rows[0].text(at: 0) == "7")
        }

        @Test func concurrentTasksShareOneConnection() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let rows = try await connection.simpleQuery("SELECT \(index)::text || '-' || pg_backend_pid()")[0].rows
                        return (index, rows[0].text(at: 0))
                    }
                }
                var seen = 0
                for try await (index, text) in group {
                    #expect(text == "\(index)-\(connection.processID!)")
                    seen += 1
                }
                #expect(seen == 50)
            }
        }
    }
}
