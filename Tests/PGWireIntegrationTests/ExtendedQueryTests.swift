import PGWire
import Testing

extension Integration {
    @Suite struct ExtendedQueryTests {
        @Test func parametersAreBoundNotSpliced() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let hostile = "'; DROP TABLE pg_class; --"
            let rows = try await connection.query("SELECT $1::text AS value, $2::int4 + 1 AS next", [hostile, Int32(41)]).collect()
            #expect(rows.count == 1)
            #expect(try rows[0].decode(String.self, at: 0) == hostile)
            #expect(try rows[0].decode(Int32.self, named: "next") == 42)
            #expect(rows[0].columns.names == ["value", "next"])
            #expect(rows[0].columns.descriptions.allSatisfy { $0.format == .binary })
        }

        @Test func interpolationBindsValues() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let id = 7
            let name: String? = nil
            let city: String? = "Oslo"
            let query: PGQuery = "SELECT \(id)::int8 * 2, \(name)::text IS NULL, \(city)::text, \(unescaped: "'lit'")"
            #expect(query.sql == "SELECT $1::int8 * 2, $2::text IS NULL, $3::text, 'lit'")
            #expect(query.bindings.count == 3)
            #expect(!query.description.contains("7"))
            let rows = try await connection.query(query).collect()
            let (doubled, isNull, bound, literal) = try rows[0].decode((Int, Bool, String, String).self)
            #expect(doubled == 14 && isNull && bound == "Oslo" && literal == "lit")
        }

        @Test func rowsStreamAndTheCommandTagArrivesAtTheEnd() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let rows = try await connection.query("SELECT i FROM generate_series(1, 1000) i")
            var sum = 0
            for try await row in rows { sum += try row.decode(Int.self, at: 0) }
            #expect(sum == 500_500)
            #expect(rows.commandTag == "SELECT 1000")
        }

        @Test func executeReportsAffectedRows() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE ex (id int8 PRIMARY KEY, name text)")
            let insert = try await connection.execute("INSERT INTO ex SELECT i, 'n' || i FROM generate_series(1, \(5)) i")
            #expect(insert.commandTag == "INSERT 0 5")
            #expect(insert.affectedRows == 5)
            let update = try await connection.execute("UPDATE ex SET name = \("x") WHERE id > \(3)")
            #expect(update.affectedRows == 2)
            let empty = try await connection.execute("")
            #expect(empty.commandTag == "")
        }

        @Test func errorMidResultSetLeavesConnectionUsable() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            // Rows 1..4 arrive, then the fifth divides by zero.
            let rows = try await connection.query("SELECT 10 / (5 - i) FROM generate_series(1, 8) i")
            var seen = 0
            let error = await #expect(throws: PGError.self) {
                for try await _ in rows { seen += 1 }
            }
            #expect(seen == 4)
            #expect(error?.sqlState == PGSQLState.divisionByZero)
            #expect(connection.transactionStatus == .idle)
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }

        @Test func errorBeforeTheFirstRowIsThrownFromQuery() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) { try await connection.query("SELECT * FROM no_such_table") }
            #expect(error?.sqlState == PGSQLState.undefinedTable)
            let bad = await #expect(throws: PGError.self) { try await connection.query("SELECT $1::int4", ["not a number"]) }
            #expect(bad?.code == .server)
            #expect(try await connection.query("SELECT 2").collect().count == 1)
        }

        @Test func tooManyParametersFailBeforeSending() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            var bindings = PGBindings()
            for _ in 0...PGBindings.maximumCount { try bindings.append(Int32(1)) }
            let error = await #expect(throws: PGError.self) {
                try await connection.query(PGQuery("SELECT 1", bindings: bindings))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("65535") == true)
            #expect(try await connection.query("SELECT 3").collect().count == 1)
        }

        @Test func decodingErrorsNameColumnTypeAndSwiftType() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let rows = try await connection.query("SELECT 1::int4 AS answer, NULL::text AS nothing").collect()
            let wrongType = #expect(throws: PGError.self) { try rows[0].decode(Bool.self, named: "answer") }
            #expect(wrongType?.code == .decoding)
            #expect(wrongType?.decodingContext?.column == "answer")
            #expect(wrongType?.decodingContext?.dataType == .int4)
            #expect(wrongType?.decodingContext?.swiftType == "Bool")
            #expect(wrongType?.message.contains("answer") == true)
            let null = #expect(throws: PGError.self) { try rows[0].decode(String.self, named: "nothing") }
            #expect(null?.message.contains("NULL") == true)
            #expect(try rows[0].decode(String?.self, named: "nothing") == nil)
            let missing = #expect(throws: PGError.self) { try rows[0].decode(Int.self, named: "nope") }
            #expect(missing?.code == .decoding)
            let outOfRange = #expect(throws: PGError.self) { try rows[0].decode(Int.self, at: 9) }
            #expect(outOfRange?.code == .decoding)
        }

        @Test func droppingASequenceEarlyReleasesTheConnection() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            do {
                let rows = try await connection.query("SELECT i FROM generate_series(1, 100000) i")
                var iterator = rows.makeAsyncIterator()
                _ = try await iterator.next()
            }
            // The next query reads the rest of the dropped answer first, then its own.
            let rows = try await connection.query("SELECT 'after'").collect()
            #expect(try rows[0].decode(String.self, at: 0) == "after")
            #expect(connection.transactionStatus == .idle)
        }

        @Test func droppedSequencesAndCopiesAreReadByTheNextExchangeOfAnyKind() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            do {
                // Dropped without a single row read, then a second dropped after one row.
                _ = try await connection.query("SELECT i FROM generate_series(1, 5000) i")
                var iterator = try await connection.query("SELECT i FROM generate_series(1, 5000) i").makeAsyncIterator()
                _ = try await iterator.next()
            }
            // An exclusive exchange (simple query) settles both first.
            #expect(try await connection.simpleQuery("SELECT 'simple'")[0].rows[0].text(at: 0) == "simple")
            do {
                var chunks = try await connection.copyOut("COPY (SELECT i FROM generate_series(1, 5000) i) TO STDOUT").makeAsyncIterator()
                _ = try await chunks.next()
            }
            let outcome = try await connection.pipeline([PGQuery("SELECT 1"), PGQuery("SELECT 2")])
            #expect(outcome.count == 2)
            #expect(try await connection.query("SELECT 3").collect()[0].decode(Int32.self, at: 0) == 3)
        }

        @Test func aSecondIteratorOfOneSequenceIsRefused() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let rows = try await connection.query("SELECT i FROM generate_series(1, 3) i")
            var first = rows.makeAsyncIterator()
            _ = try await first.next()
            var second = rows.makeAsyncIterator()
            let error = await #expect(throws: PGError.self) { _ = try await second.next() }
            #expect(error?.code == .invalidArgument)
            var count = 1
            while try await first.next() != nil { count += 1 }
            #expect(count == 3)
            #expect(rows.commandTag == "SELECT 3")
        }

        @Test func concurrentQueriesOnOneConnection() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let rows = try await connection.query("SELECT \(index)::int4 + i FROM generate_series(1, 50) i").collect()
                        #expect(rows.count == 50)
                        #expect(try rows[49].decode(Int32.self, at: 0) == Int32(index + 50))
                    }
                }
                try await group.waitForAll()
            }
        }

        @Test func preparedStatementsAreReusedAndClosed() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE prep (id int4, name text)")
            let insert = try await connection.prepare("INSERT INTO prep VALUES ($1, $2)")
            #expect(insert.parameterTypes == [.int4, .text])
            #expect(insert.columns.count == 0)
            // Int is encoded as int8; it is narrowed to the statement's int4.
            for id in 1...20 { try await insert.execute([id, "name \(id)"]) }
            let select = try await connection.prepare("SELECT id, name FROM prep WHERE id > $1 ORDER BY id")
            #expect(select.columns.names == ["id", "name"])
            let rows = try await select.query([Int32(17)]).collect()
            #expect(try rows.map { try $0.decode(Int32.self, at: 0) } == [18, 19, 20])
            #expect(try await select.query([Int32(100)]).collect().isEmpty)
            let tooBig = await #expect(throws: PGError.self) { try await insert.execute([Int.max, "x"]) }
            #expect(tooBig?.code == .invalidArgument)
            let server = try await connection.query("SELECT count(*) FROM pg_prepared_statements WHERE name = \(insert.name)").collect()
            #expect(try server[0].decode(Int.self, at: 0) == 1)
            try await insert.close()
            try await insert.close()
            let after = try await connection.query("SELECT count(*) FROM pg_prepared_statements WHERE name = \(insert.name)").collect()
            #expect(try after[0].decode(Int.self, at: 0) == 0)
            let closed = await #expect(throws: PGError.self) { try await insert.execute([1, "x"]) }
            #expect(closed?.code == .invalidArgument)
            let wrongCount = await #expect(throws: PGError.self) { try await select.query([]) }
            #expect(wrongCount?.code == .invalidArgument)
        }

        @Test func prepareErrorIsAServerError() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let error = await #expect(throws: PGError.self) { try await connection.prepare("SELEC 1") }
            #expect(error?.sqlState == PGSQLState.syntaxError)
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }
    }
}
