import PGWire
import Testing

extension Integration {
    @Suite struct StatementCacheTests {
        static func connect(capacity: Int = 256) async throws -> PGConnection {
            var configuration = try Integration.configuration()
            configuration.statementCacheCapacity = capacity
            return try await PGConnection.connect(configuration)
        }

        /// The cache's statements on the server, by the query's own text.
        static func cached(on connection: PGConnection) async throws -> [String] {
            let rows = try await connection.simpleQuery(
                "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'pgw_s%' ORDER BY prepare_time")
            return rows[0].rows.compactMap { $0.text(at: 0) }
        }

        @Test func aRepeatedQueryIsParsedOnce() async throws {
            let connection = try await Self.connect()
            defer { Task { await connection.close() } }
            for value in 1...5 {
                let rows = try await connection.query("SELECT \(Int32(value)) + 1").collect()
                #expect(try rows[0].decode(Int32.self, at: 0) == Int32(value + 1))
            }
            #expect(try await Self.cached(on: connection) == ["SELECT $1 + 1"])
            // Different parameter types are different statements.
            _ = try await connection.query("SELECT \(Int64(1)) + 1").collect()
            #expect(try await Self.cached(on: connection).count == 2)
        }

        @Test func turnedOffUsesTheUnnamedStatement() async throws {
            let connection = try await Self.connect(capacity: 0)
            defer { Task { await connection.close() } }
            for _ in 0..<3 { _ = try await connection.query("SELECT \(Int32(1))").collect() }
            #expect(try await Self.cached(on: connection).isEmpty)
        }

        @Test func leastRecentlyUsedIsEvictedAndClosed() async throws {
            let connection = try await Self.connect(capacity: 2)
            defer { Task { await connection.close() } }
            _ = try await connection.query("SELECT 1").collect()
            _ = try await connection.query("SELECT 2").collect()
            _ = try await connection.query("SELECT 1").collect()  // 1 is now more recent than 2
            _ = try await connection.query("SELECT 3").collect()  // evicts 2; closed with the next request
            _ = try await connection.query("SELECT 1").collect()
            #expect(try await Self.cached(on: connection) == ["SELECT 1", "SELECT 3"])
        }

        @Test func stalePlanIsPreparedAgainOnce() async throws {
            let connection = try await Self.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE stale (a int4)")
            try await connection.execute("INSERT INTO stale VALUES (1)")
            for _ in 0..<2 { #expect(try await connection.query("SELECT * FROM stale").collect()[0].count == 1) }
            try await connection.execute("ALTER TABLE stale ADD COLUMN b text DEFAULT 'x'")
            let rows = try await connection.query("SELECT * FROM stale").collect()
            #expect(rows[0].count == 2)
            #expect(try rows[0].decode(String.self, named: "b") == "x")
        }

        @Test func discardAllInvalidatesTheCache() async throws {
            let connection = try await Self.connect()
            defer { Task { await connection.close() } }
            _ = try await connection.query("SELECT \(Int32(7))").collect()
            #expect(try await Self.cached(on: connection).count == 1)
            _ = try await connection.simpleQuery("DISCARD ALL")
            #expect(try await Self.cached(on: connection).isEmpty)
            // Without invalidation this would Bind to a statement the server no longer has.
            #expect(try await connection.query("SELECT \(Int32(7))").collect()[0].decode(Int32.self, at: 0) == 7)
        }

        @Test func aParseErrorIsNotCached() async throws {
            let connection = try await Self.connect()
            defer { Task { await connection.close() } }
            for _ in 0..<2 {
                let error = await #expect(throws: PGError.self) { try await connection.query("SELEC 1") }
                #expect(error?.sqlState == PGSQLState.syntaxError)
            }
            #expect(try await Self.cached(on: connection).isEmpty)
        }
    }
}
