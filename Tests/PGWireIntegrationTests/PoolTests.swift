#if canImport(Glibc)
import Glibc
#endif
import PGTestServer
import PGWire
import Testing

extension Integration {
    /// PGPool's bounds, its order of service and its errors, against the private server.
    @Suite struct PoolTests {
        @Test func handsOutUpToTheMaximumThenServesWaitersInArrivalOrder() async throws {
            let name = "pool-capacity"
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 3))
            let observer = try await Integration.connect()
            let holderLatches = (0..<3).map { _ in Latch() }
            let served = SharedList<Int>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for latch in holderLatches {
                    group.addTask { try await pool.withConnection { _ in await latch.wait() } }
                }
                #expect(try await Integration.eventually { pool.statistics.inUse == 3 })
                // Three more tasks queue, one after the other so that their order is known.
                for waiter in 1...3 {
                    group.addTask { try await pool.withConnection { _ in served.append(waiter) } }
                    #expect(try await Integration.eventually { pool.statistics.waiting == waiter })
                }
                #expect(pool.statistics == .init(idle: 0, inUse: 3, opening: 0, waiting: 3))
                #expect(try await Integration.sessionCount(name, observer: observer) == 3)
                // One connection comes back: it passes from waiter to waiter, oldest first.
                holderLatches[0].open()
                #expect(try await Integration.eventually { served.all.count == 3 })
                #expect(served.all == [1, 2, 3])
                for latch in holderLatches.dropFirst() { latch.open() }
                try await group.waitForAll()
            }
            #expect(pool.statistics == .init(idle: 3, inUse: 0, opening: 0, waiting: 0))
            await pool.close()
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 0 })
            await observer.close()
        }

        @Test func nothingListeningFailsAtOnceNamingHostAndPort() async throws {
            let port = try ConnectErrorTests.closedPort()
            let connection = PGConnection.Configuration(host: "127.0.0.1", port: port, user: "x")
            let pool = PGPool(configuration: .init(connection: connection, acquireTimeout: .seconds(30)))
            let started = ContinuousClock.now
            // Several acquires at once: each fails with the connect error; none hangs or retries
            // (a retrying pool would wait out its 30 s).
            let errors = await withTaskGroup(of: PGError?.self) { group in
                for _ in 0..<8 {
                    group.addTask { await Integration.poolError { try await pool.query("SELECT 1") } }
                }
                return await group.reduce(into: [PGError?]()) { $0.append($1) }
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(errors.count == 8)
            for error in errors {
                #expect(error?.code == .connectionRefused)
                #expect(error?.message.contains("127.0.0.1:\(port)") == true, "\(String(describing: error))")
            }
            #expect(pool.statistics.total == 0)
            await pool.close()
        }

        @Test func serverThatNeverAnswersTheLoginTimesOutNamingIt() async throws {
            // A listener that never accepts: the TCP connect completes through its backlog,
            // then the startup message waits for an answer that never comes.
            let listener = try LoopbackSocket()
            #expect(listen(listener.fd, 8) == 0)
            let connection = PGConnection.Configuration(host: "127.0.0.1", port: listener.port, user: "x")
            let pool = PGPool(configuration: .init(connection: connection, acquireTimeout: .milliseconds(500)))
            let started = ContinuousClock.now
            let error = await Integration.poolError { try await pool.withConnection { _ in } }
            let elapsed = ContinuousClock.now - started
            #expect(error?.code == .timeout)
            #expect(error?.message.contains("127.0.0.1:\(listener.port)") == true, "\(String(describing: error))")
            // Under 10 s: the acquire's 500 ms ended it, not the 30 s connect timeout (the margin
            // is for a test run that keeps both cores busy).
            #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(10), "\(elapsed)")
            await pool.close(timeout: .milliseconds(100))
        }

        @Test func wrongPasswordFailsAtOnceWith28P01NamingTheServer() async throws {
            let server = try Integration.requireServer()
            let connection = try Integration.configuration(.scramSHA256, password: .some("not the password"))
            let pool = PGPool(configuration: .init(connection: connection, acquireTimeout: .seconds(30)))
            let started = ContinuousClock.now
            let error = await Integration.poolError { try await pool.withConnection { _ in } }
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(error?.code == .server)
            #expect(error?.sqlState == PGSQLState.invalidPassword)
            #expect(error?.message.contains("\(server.host):\(server.port)") == true, "\(String(describing: error))")
            #expect(pool.statistics.total == 0)
            await pool.close()
        }

        @Test func acquireTimesOutWhenEveryConnectionIsBusy() async throws {
            let server = try Integration.requireServer()
            let (pool, running) = try await Integration.warmPool(
                try Integration.poolConfiguration("pool-busy", maximum: 2, acquireTimeout: .milliseconds(300)), count: 2)
            let latch = Latch()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 { group.addTask { try await pool.withConnection { _ in await latch.wait() } } }
                #expect(try await Integration.eventually { pool.statistics.inUse == 2 })
                let started = ContinuousClock.now
                let error = await Integration.poolError { try await pool.query("SELECT 1") }
                let elapsed = ContinuousClock.now - started
                #expect(error?.code == .timeout)
                #expect(error?.message.contains("2 of 2 connections in use") == true, "\(String(describing: error))")
                #expect(error?.message.contains("\(server.host):\(server.port)") == true)
                #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(10), "\(elapsed)")  // margin for a loaded machine
                #expect(pool.statistics.waiting == 0)
                latch.open()
                try await group.waitForAll()
            }
            // The pool is fine afterwards.
            #expect(try await pool.query("SELECT 7").rows[0].decode(Int32.self, at: 0) == 7)
            running.cancel()
            try await running.value
        }

        @Test func cancelledWaiterLeavesTheLineAndOthersAreServed() async throws {
            let pool = PGPool(configuration: try Integration.poolConfiguration("pool-cancel", maximum: 1))
            let latch = Latch()
            let holder = Task { try await pool.withConnection { _ in await latch.wait() } }
            #expect(try await Integration.eventually { pool.statistics.inUse == 1 })
            let waiter = Task { try await pool.query("SELECT 1") }
            #expect(try await Integration.eventually { pool.statistics.waiting == 1 })
            waiter.cancel()
            let outcome = await waiter.result
            #expect(outcome.failure is CancellationError)
            #expect(pool.statistics.waiting == 0)
            latch.open()
            try await holder.value
            #expect(try await pool.query("SELECT 2").rows[0].decode(Int32.self, at: 0) == 2)
            await pool.close()
        }

        @Test func queryMethodsOnThePool() async throws {
            let pool = PGPool(configuration: try Integration.poolConfiguration("pool-queries", maximum: 2))
            let result = try await pool.query("SELECT $1::int AS a, $2::text AS b", [41, "x"])
            let (number, text) = try result.rows[0].decode((Int32, String).self)
            #expect(number == 41 && text == "x")
            #expect(result.commandTag == "SELECT 1")
            let interpolated = try await pool.query("SELECT \(5)::int + 1")
            #expect(try interpolated.rows[0].decode(Int32.self, at: 0) == 6)
            let command = try await pool.execute("SELECT generate_series(1, $1::int)", [3])
            #expect(command.affectedRows == 3)
            let simple = try await pool.simpleQuery("SELECT 1; SELECT 'two'")
            #expect(simple.map(\.commandTag) == ["SELECT 1", "SELECT 1"])
            #expect(simple[1].rows[0].text(at: 0) == "two")
            let batch = try await pool.batch(["SELECT 1", "SELECT 2"])
            #expect(try batch.map { try $0.rows[0].decode(Int32.self, at: 0) } == [1, 2])
            let pipeline = try await pool.pipeline(["SELECT 1/0", "SELECT 3"])
            #expect(try pipeline[1].get().rows[0].decode(Int32.self, at: 0) == 3)
            // A server error leaves the connection usable and in the pool.
            let failure = await Integration.poolError { try await pool.query("SELECT 1/0") }
            #expect(failure?.sqlState == PGSQLState.divisionByZero)
            #expect(pool.statistics.total == 1)
            await pool.close()
            let closed = await Integration.poolError { try await pool.query("SELECT 1") }
            #expect(closed?.code == .closed)
        }
    }
}
