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

        /// How long a cancelled `pg_sleep(30)` took to return, from the moment `cancel` ran.
        /// Each attempt is a fresh connection; a busy two-core machine can stall one attempt's
        /// scheduling, so the tests below require one of three attempts under a second (a
        /// design that cannot do it fails all three).
        static func cancelledSleep(
            via cancel: @Sendable (PGConnection, Task<[SimpleQueryResult], any Error>) async throws -> Void
        ) async throws -> (elapsed: Duration, error: (any Error)?, connection: PGConnection) {
            let connection = try await Integration.connect()
            let observer = try await Integration.connect()
            defer { Task { await observer.close() } }
            let task = Task { try await connection.simpleQuery("SELECT pg_sleep(30)") }
            try await Self.waitUntilRunning(connection.processID!, "SELECT pg_sleep", observer: observer)
            let started = ContinuousClock.now
            try await cancel(connection, task)
            let result = await task.result
            let elapsed = ContinuousClock.now - started
            guard case .failure(let error) = result else {
                Issue.record("pg_sleep(30) was not cancelled")
                return (elapsed, nil, connection)
            }
            return (elapsed, error, connection)
        }

        /// `expected` checks the error the cancelled query threw.
        static func requireWithinOneSecond(
            via cancel: @Sendable (PGConnection, Task<[SimpleQueryResult], any Error>) async throws -> Void,
            expected: (any Error) -> Bool
        ) async throws {
            var times: [Duration] = []
            for _ in 0..<3 {
                let (elapsed, error, connection) = try await cancelledSleep(via: cancel)
                defer { Task { await connection.close() } }
                #expect(error.map(expected) == true, "unexpected error: \(String(describing: error))")
                #expect(!connection.isClosed)
                #expect(try await connection.query("SELECT 5").collect()[0].decode(Int32.self, at: 0) == 5)
                times.append(elapsed)
                if elapsed < .seconds(1) { return }
            }
            Issue.record("no cancellation returned within 1 s: \(times)")
        }

        /// An explicit cancel() is the server's doing: the statement fails with 57014.
        @Test func cancelRequestStopsASleepWithin1s() async throws {
            try await Self.requireWithinOneSecond(via: { connection, _ in try await connection.cancel() }) { error in
                (error as? PGError)?.sqlState == .queryCanceled
            }
        }

        /// A cancelled task gets CancellationError, and the connection stays usable.
        @Test func cancellingTheTaskSendsCancelRequest() async throws {
            try await Self.requireWithinOneSecond(via: { _, task in task.cancel() }) { error in error is CancellationError }
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
            #expect(error is CancellationError, "unexpected error: \(error)")
            #expect(try await connection.query("SELECT 7").collect().count == 1)
        }

        @Test func statementTimeoutFromConfigurationAndAtRuntime() async throws {
            var configuration = try Integration.configuration()
            configuration.statementTimeout = .milliseconds(150)
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(try await connection.query("SHOW statement_timeout").collect()[0].decode(String.self, at: 0) == "150ms")
            let error = await #expect(throws: PGError.self) { try await connection.execute("SELECT pg_sleep(5)") }
            #expect(error?.sqlState == PGSQLState.queryCanceled)
            try await connection.setStatementTimeout(.seconds(2))
            #expect(try await connection.query("SHOW statement_timeout").collect()[0].decode(String.self, at: 0) == "2s")
            try await connection.setStatementTimeout(nil)
            #expect(try await connection.query("SHOW statement_timeout").collect()[0].decode(String.self, at: 0) == "0")
        }
    }
}

extension Integration {
    /// A task cancelled while it waits behind another exchange on the same connection stops
    /// waiting at once; the connection stays in step.
    @Suite struct CancelledWaitTests {
        /// Starts a 30 s query, then `waiting` behind it on the same connection, cancels
        /// `waiting`, and checks that it ended at once with `.cancelled`. Cancels the slow query
        /// afterwards and returns the connection for the caller's in-step checks.
        static func cancelWhileWaiting(
            _ waiting: @escaping @Sendable (PGConnection) async throws -> Void
        ) async throws -> PGConnection {
            let connection = try await Integration.connect()
            let slow = Task { try await connection.query("SELECT pg_sleep(30), 1").collect().count }
            try await Task.sleep(for: .milliseconds(200))
            let waiter = Task { try await waiting(connection) }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            waiter.cancel()
            let outcome = await waiter.result
            #expect(ContinuousClock.now - started < .seconds(20))  // the slow query takes 30 s
            #expect(outcome.failure is CancellationError, "the waiting exchange was not cancelled")
            try await connection.cancel()
            let slowOutcome = await slow.result
            #expect((slowOutcome.failure as? PGError)?.sqlState == PGSQLState.queryCanceled)
            return connection
        }

        @Test func aPipelinedQueryWaitingForItsTurnIsCancelledAtOnce() async throws {
            let connection = try await Self.cancelWhileWaiting { _ = try await $0.query("SELECT 42").collect() }
            defer { Task { await connection.close() } }
            // The cancelled query's answer was read and dropped: the next answers are in step.
            #expect(try await connection.query("SELECT 7").collect()[0].decode(Int32.self, at: 0) == 7)
            #expect(try await connection.simpleQuery("SELECT 8")[0].rows[0].text(at: 0) == "8")
        }

        @Test func anExclusiveExchangeWaitingBehindAQueryIsCancelledAtOnce() async throws {
            let connection = try await Self.cancelWhileWaiting { _ = try await $0.simpleQuery("SELECT 42") }
            defer { Task { await connection.close() } }
            #expect(try await connection.simpleQuery("SELECT 9")[0].rows[0].text(at: 0) == "9")
        }
    }
}

extension Result {
    /// The error of a failure, nil for a success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
