import PGWire
import Testing

extension Integration {
    @Suite struct CancellationTests {
        /// Waits until `pid` is running a statement starting with `prefix`.
        static func waitUntilRunning(_ pid: Int32, _ prefix: String, observer: PGConnection) async throws {
            for _ in 0..<500 {
                let rows = try await observer.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND state = 'active' AND starts_with(query, \(prefix))"
                ).collect()
                if try rows[0].decode(Int.self, at: 0) == 1 { return }
                try await Task.sleep(for: .milliseconds(5))
            }
            Issue.record("backend \(pid) never started \(prefix)")
        }

        @Test func cancelRequestStopsASleepWithin1s() async throws {
            let connection = try await Integration.connect()
            let observer = try await Integration.connect()
            defer { Task { await connection.close(); await observer.close() } }
            async let outcome: Result<[PGRow], PGError> = {
                do { return .success(try await connection.query("SELECT pg_sleep(30)").collect()) } catch {
                    return .failure(error as! PGError)
                }
            }()
            try await Self.waitUntilRunning(connection.processID!, "SELECT pg_sleep", observer: observer)
            let started = ContinuousClock.now
            try await connection.cancel()
            let result = await outcome
            #expect(ContinuousClock.now - started < .seconds(1))
            guard case .failure(let error) = result else {
                Issue.record("pg_sleep(30) was not cancelled")
                return
            }
            #expect(error.sqlState == SQLState.queryCanceled)
            #expect(!connection.isClosed)
            #expect(try await connection.query("SELECT 5").collect()[0].decode(Int32.self, at: 0) == 5)
        }

        @Test func cancellingTheTaskSendsCancelRequest() async throws {
            let connection = try await Integration.connect()
            let observer = try await Integration.connect()
            defer { Task { await connection.close(); await observer.close() } }
            let task = Task { try await connection.simpleQuery("SELECT pg_sleep(30)") }
            try await Self.waitUntilRunning(connection.processID!, "SELECT pg_sleep", observer: observer)
            let started = ContinuousClock.now
            task.cancel()
            let result = await task.result
            #expect(ContinuousClock.now - started < .seconds(1))
            guard case .failure(let error) = result, let pgError = error as? PGError else {
                Issue.record("the query was not cancelled: \(result)")
                return
            }
            #expect(pgError.sqlState == SQLState.queryCanceled)
            #expect(try await connection.query("SELECT 6").collect()[0].decode(Int32.self, at: 0) == 6)
        }

        @Test func cancellingTheTaskIteratingRowsCancelsTheQuery() async throws {
            let connection = try await Integration.connect()
            let observer = try await Integration.connect()
            defer { Task { await connection.close(); await observer.close() } }
            let task = Task {
                var count = 0
                for try await _ in try await connection.query("SELECT i, pg_sleep(CASE WHEN i = 3 THEN 30 ELSE 0 END) FROM generate_series(1, 5) i") {
                    count += 1
                }
                return count
            }
            try await Self.waitUntilRunning(connection.processID!, "SELECT i, pg_sleep", observer: observer)
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let result = await task.result
            guard case .failure(let error) = result else {
                Issue.record("the iteration was not cancelled")
                return
            }
            #expect((error as? PGError)?.sqlState == SQLState.queryCanceled)
            #expect(try await connection.query("SELECT 7").collect().count == 1)
        }

        @Test func statementTimeoutFromConfigurationAndAtRuntime() async throws {
            var configuration = try Integration.configuration()
            configuration.statementTimeout = .milliseconds(150)
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(try await connection.query("SHOW statement_timeout").collect()[0].decode(String.self, at: 0) == "150ms")
            let error = await #expect(throws: PGError.self) { try await connection.execute("SELECT pg_sleep(5)") }
            #expect(error?.sqlState == SQLState.queryCanceled)
            try await connection.setStatementTimeout(.seconds(2))
            #expect(try await connection.query("SHOW statement_timeout").collect()[0].decode(String.self, at: 0) == "2s")
            try await connection.setStatementTimeout(nil)
            #expect(try await connection.query("SHOW statement_timeout").collect()[0].decode(String.self, at: 0) == "0")
        }
    }
}
