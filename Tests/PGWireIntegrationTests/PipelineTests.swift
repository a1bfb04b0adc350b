import PGWire
import Testing

extension Integration {
    @Suite struct PipelineTests {
        @Test func resultsArriveInOrderAndAFailureStaysInItsEntry() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE pipe (v int4 PRIMARY KEY)")
            let results = try await connection.pipeline([
                "INSERT INTO pipe VALUES (1)",
                "INSERT INTO pipe VALUES (1)",  // duplicate: fails alone
                "INSERT INTO pipe VALUES (\(Int32(2)))",
                "SELECT v FROM pipe ORDER BY v",
                "SELECT 1 / 0",
                "SELECT \("last")::text",
            ])
            #expect(results.count == 6)
            #expect(try results[0].get().commandTag == "INSERT 0 1")
            guard case .failure(let duplicate) = results[1] else {
                Issue.record("the duplicate insert should fail")
                return
            }
            #expect(duplicate.sqlState == PGSQLState.uniqueViolation)
            #expect(try results[2].get().affectedRows == 1)
            #expect(try results[3].get().rows.map { try $0.decode(Int32.self, at: 0) } == [1, 2])
            #expect((try? results[4].get()) == nil)
            #expect(try results[5].get().rows[0].decode(String.self, at: 0) == "last")
            #expect(connection.transactionStatus == .idle)
        }

        @Test func batchFailsTogether() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE batch_t (v int4 PRIMARY KEY)")
            let error = await #expect(throws: PGError.self) {
                try await connection.batch(["INSERT INTO batch_t VALUES (1)", "INSERT INTO batch_t VALUES (2)", "INSERT INTO batch_t VALUES (1)"])
            }
            #expect(error?.sqlState == PGSQLState.uniqueViolation)
            let count = try await connection.query("SELECT count(*) FROM batch_t").collect()
            #expect(try count[0].decode(Int.self, at: 0) == 0)
            let ok = try await connection.batch(["INSERT INTO batch_t VALUES (1)", "INSERT INTO batch_t VALUES (2)", "SELECT count(*) FROM batch_t"])
            #expect(try ok[2].rows[0].decode(Int.self, at: 0) == 2)
        }

        @Test func largePipelineDoesNotDeadlock() async throws {
            // Far more than the socket buffers hold in both directions: writing must go on
            // while the answers are read.
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let queries: [PGQuery] = (0..<20_000).map { "SELECT \(Int32($0)), repeat('x', 200)" }
            let results = try await connection.pipeline(queries)
            #expect(results.count == 20_000)
            #expect(try results[19_999].get().rows[0].decode(Int32.self, at: 0) == 19_999)
            #expect(try results.allSatisfy { try $0.get().rows.count == 1 })
        }

        @Test func concurrentTasksArePipelinedAndAFailureFailsOnlyItsAwaiter() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        do {
                            let divisor = index % 10 == 0 ? 0 : 1
                            let rows = try await connection.query("SELECT \(Int32(index)) / \(Int32(divisor))").collect()
                            #expect(try rows[0].decode(Int32.self, at: 0) == Int32(index))
                            return (index, true)
                        } catch let error as PGError {
                            #expect(error.sqlState == PGSQLState.divisionByZero)
                            return (index, false)
                        }
                    }
                }
                var outcomes: [Int: Bool] = [:]
                for try await (index, succeeded) in group { outcomes[index] = succeeded }
                #expect(outcomes.count == 200)
                #expect(outcomes.filter { !$0.value }.map(\.key).sorted() == Array(stride(from: 0, to: 200, by: 10)))
            }
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }

        @Test func pipelineUsesTheStatementCache() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let queries: [PGQuery] = (0..<100).map { "SELECT \(Int32($0)) * 2" }
            for _ in 0..<2 {
                let results = try await connection.pipeline(queries)
                #expect(try results[99].get().rows[0].decode(Int32.self, at: 0) == 198)
            }
            let cached = try await connection.simpleQuery("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1 * 2'")
            #expect(cached[0].rows[0].text(at: 0) == "1")
        }

        @Test func emptyPipelineAndBatch() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            #expect(try await connection.pipeline([]).isEmpty)
            #expect(try await connection.batch([]).isEmpty)
        }
    }
}
