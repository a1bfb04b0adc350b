import PGWire
import Synchronization
import Testing

extension Integration {
    @Suite struct ServerErrorTests {
        @Test func constraintViolationCarriesObjectFields() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            _ = try await connection.simpleQuery("""
                DROP TABLE IF EXISTS err_fields;
                CREATE TABLE err_fields (id int CONSTRAINT err_fields_pk PRIMARY KEY, v int NOT NULL);
                INSERT INTO err_fields VALUES (1, 1)
                """)
            let unique = await #expect(throws: PGError.self) {
                try await connection.simpleQuery("INSERT INTO err_fields VALUES (1, 2)")
            }
            let fields = try #require(unique?.serverFields)
            #expect(fields[.severity] == "ERROR")
            #expect(fields[.localizedSeverity] == "ERROR")
            #expect(fields[.sqlState] == PGSQLState.uniqueViolation.rawValue)
            #expect(fields[.message] == "duplicate key value violates unique constraint \"err_fields_pk\"")
            #expect(fields[.detail] == "Key (id)=(1) already exists.")
            #expect(fields[.schemaName] == "public")
            #expect(fields[.tableName] == "err_fields")
            #expect(fields[.constraintName] == "err_fields_pk")
            #expect(fields[.file]?.hasSuffix(".c") == true)
            #expect(fields[.line].flatMap(Int.init) != nil)
            #expect(fields[.routine] == "_bt_check_unique")

            let notNull = await #expect(throws: PGError.self) {
                try await connection.simpleQuery("INSERT INTO err_fields VALUES (2, NULL)")
            }
            #expect(notNull?.sqlState == PGSQLState.notNullViolation)
            #expect(notNull?.serverFields[.columnName] == "v")
        }

        @Test func syntaxErrorHasPosition() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT 1 FROMM t") }
            #expect(error?.sqlState == PGSQLState.syntaxError)
            // FROMM parses as a column alias; the error is at "t", character 16.
            #expect(error?.serverFields[.position] == "16")
        }

        @Test func raiseCarriesDetailHintAndWhere() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) {
                try await connection.simpleQuery("""
                    DO $$ BEGIN RAISE EXCEPTION 'custom failure %', 42
                        USING ERRCODE = 'P0001', DETAIL = 'some detail', HINT = 'try again'; END $$
                    """)
            }
            #expect(error?.sqlState == PGSQLState.raiseException)
            #expect(error?.serverMessage == "custom failure 42")
            #expect(error?.detail == "some detail")
            #expect(error?.hint == "try again")
            #expect(error?.serverFields[.where]?.contains("PL/pgSQL function inline_code_block") == true)
            #expect(error.map { "\($0)".contains("SQLSTATE P0001") && "\($0)".contains("custom failure 42") } == true)
        }

        @Test func internalQueryAndPosition() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) {
                try await connection.simpleQuery("DO $$ BEGIN PERFORM no_such_column FROM pg_class; END $$")
            }
            #expect(error?.sqlState == PGSQLState.undefinedColumn)
            #expect(error?.serverFields[.internalQuery] == "SELECT no_such_column FROM pg_class")
            #expect(error?.serverFields[.internalPosition] == "8")
        }

        @Test func dataTypeField() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            _ = try await connection.simpleQuery("""
                DROP DOMAIN IF EXISTS positive_int CASCADE;
                CREATE DOMAIN positive_int AS int CHECK (VALUE > 0)
                """)
            let error = await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT (-1)::positive_int") }
            #expect(error?.sqlState == PGSQLState.checkViolation)
            #expect(error?.serverFields[.dataTypeName] == "positive_int")
            #expect(error?.serverFields[.schemaName] == "public")
        }

        @Test func noticesReachTheHandlerAndLoggerByDefault() async throws {
            let collected = NoticeCollector()
            let connection = try await Integration.connect(noticeHandler: { collected.add($0) })
            defer { Task { await connection.close() } }
            _ = try await connection.simpleQuery("""
                DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful' USING HINT = 'h'; END $$;
                DROP TABLE IF EXISTS surely_not_there_table
                """)
            let notices = collected.all
            #expect(notices.count == 3)
            #expect(notices.map(\.message) == [
                "hello 42", "careful", "table \"surely_not_there_table\" does not exist, skipping",
            ])
            #expect(notices.map(\.severity) == ["NOTICE", "WARNING", "NOTICE"])
            #expect(notices[1].fields[.hint] == "h")
            #expect(notices[1].sqlState == "01000")
        }
    }
}

/// Collects notices from the handler, which may run on any thread.
final class NoticeCollector: Sendable {
    private let notices = Mutex<[PGNotice]>([])
    func add(_ notice: PGNotice) { notices.withLock { $0.append(notice) } }
    var all: [PGNotice] { notices.withLock { $0 } }
}
