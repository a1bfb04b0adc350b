import Logging
import MetricsTestKit
import PGWire
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

extension Integration {
    /// Closing the pool, running it as a service, and its metrics.
    @Suite struct PoolLifecycleTests {
        @Test func closeWaitsForABorrowedConnectionThatComesBack() async throws {
            let name = "pool-close-wait"
            let observer = try await Integration.connect()
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 1))
            let latch = Latch()
            let holder = Task {
                try await pool.withConnection { connection in
                    await latch.wait()
                    return try await connection.query("SELECT 1").collect().count
                }
            }
            #expect(try await Integration.eventually { pool.statistics.inUse == 1 })
            let waiter = Task { try await pool.query("SELECT 1") }
            #expect(try await Integration.eventually { pool.statistics.waiting == 1 })
            let closed = SharedList<Duration>()
            let closing = Task {
                let started = ContinuousClock.now
                await pool.close(timeout: .seconds(10))
                closed.append(ContinuousClock.now - started)
            }
            // Closing fails the waiter and refuses new acquires at once...
            #expect(await Integration.poolError { try await waiter.value }?.code == .closed)
            #expect(await Integration.poolError { try await pool.query("SELECT 1") }?.code == .closed)
            // ...but waits for the borrowed connection, which still works.
            try await Task.sleep(for: .milliseconds(200))
            #expect(closed.all.isEmpty)
            latch.open()
            #expect(try await holder.value == 1)
            await closing.value
            #expect(closed.all.count == 1)
            #expect(closed.all.allSatisfy { $0 >= .milliseconds(200) && $0 < .seconds(5) })
            #expect(pool.statistics.total == 0)
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 0 })
            await observer.close()
        }

        @Test func closeDeadlineClosesConnectionsStillBorrowed() async throws {
            let name = "pool-close-force"
            let observer = try await Integration.connect()
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 2))
            let borrowed = SharedList<PGConnection>()
            let holder = Task {
                try await pool.withConnection { connection in
                    borrowed.append(connection)
                    return try await connection.simpleQuery("SELECT pg_sleep(30)")
                }
            }
            #expect(try await Integration.eventually { !borrowed.all.isEmpty })
            let pid = try #require(borrowed.all.first?.processID)
            try await Integration.waitUntilActive(pid, "SELECT pg_sleep", observer: observer)
            let started = ContinuousClock.now
            await pool.close(timeout: .milliseconds(300))
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(10), "\(elapsed)")  // margin for a loaded machine
            #expect(borrowed.all.first?.isClosed == true)
            let error = await Integration.poolError { try await holder.value }
            #expect(error != nil)
            #expect(pool.statistics.total == 0)
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 0 })
            await observer.close()
        }

        @Test func runKeepsTheMinimumWarmAndClosesIdleConnectionsAboveIt() async throws {
            let name = "pool-run-warm"
            let observer = try await Integration.connect()
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 4) {
                $0.minimumConnections = 2
                $0.idleTimeout = .milliseconds(200)
            })
            let running = Task { try await pool.run() }
            #expect(try await Integration.eventually { pool.statistics.idle == 2 })
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 2 })
            // Four at once, then quiet: the two above the minimum close without any traffic.
            let latch = Latch()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await pool.withConnection { _ in await latch.wait() } } }
                #expect(try await Integration.eventually { pool.statistics.inUse == 4 })
                latch.open()
                try await group.waitForAll()
            }
            #expect(try await Integration.eventually { pool.statistics == .init(idle: 2, inUse: 0, opening: 0, waiting: 0) })
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 2 })
            // Cancelling run() closes the pool.
            running.cancel()
            try await running.value
            #expect(pool.isClosed)
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 0 })
            await observer.close()
        }

        @Test func serviceGroupShutdownWaitsForBorrowedConnectionsThenClosesThePool() async throws {
            let name = "pool-service-group"
            let observer = try await Integration.connect()
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 2) {
                $0.minimumConnections = 1
            })
            let group = ServiceGroup(services: [pool], logger: Logger(label: "pool-tests"))
            let finished = SharedList<Bool>()
            let running = Task {
                try await group.run()
                finished.append(true)
            }
            #expect(try await Integration.eventually { pool.statistics.idle == 1 })
            let latch = Latch()
            let holder = Task {
                try await pool.withConnection { connection in
                    await latch.wait()
                    return try await connection.query("SELECT 1").collect().count
                }
            }
            #expect(try await Integration.eventually { pool.statistics.inUse == 1 })
            await group.triggerGracefulShutdown()
            #expect(try await Integration.eventually { pool.isClosed })
            #expect(await Integration.poolError { try await pool.query("SELECT 1") }?.code == .closed)
            try await Task.sleep(for: .milliseconds(200))
            #expect(finished.all.isEmpty)  // still waiting for the borrowed connection
            latch.open()
            #expect(try await holder.value == 1)
            try await running.value
            #expect(finished.all == [true])
            #expect(pool.statistics.total == 0)
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 0 })
            await observer.close()
        }

        @Test func gracefulShutdownEndsRun() async throws {
            let pool = PGPool(configuration: try Integration.poolConfiguration("pool-testkit", maximum: 1) {
                $0.minimumConnections = 1
            })
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await pool.run() }
                    #expect(try await Integration.eventually { pool.statistics.idle == 1 })
                    trigger.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
            }
            #expect(pool.isClosed)
            #expect(pool.statistics.total == 0)
        }

        @Test func metricsReportUseIdleWaitersAcquireTimeAndCounts() async throws {
            typealias Label = PGPool.MetricLabel
            let metrics = TestMetrics()
            let dimensions = [("pool", "metrics-test")]
            let (pool, running) = try await Integration.warmPool(
                try Integration.poolConfiguration("pool-metrics", maximum: 2, acquireTimeout: .seconds(2)) {
                    $0.metricsFactory = metrics
                    $0.metricsDimensions = dimensions
                },
                count: 2)
            let latch = Latch()
            let holders = (0..<2).map { _ in Task { try await pool.withConnection { _ in await latch.wait() } } }
            #expect(try await Integration.eventually { pool.statistics.inUse == 2 })
            #expect(try metrics.expectMeter(Label.connectionsInUse, dimensions).lastValue == 2)
            #expect(try metrics.expectMeter(Label.connectionsIdle, dimensions).lastValue == 0)
            // A waiter that times out.
            let timedOut = Task { try await pool.query("SELECT 1") }
            #expect(try await Integration.eventually { pool.statistics.waiting == 1 })
            #expect(try metrics.expectMeter(Label.waiters, dimensions).lastValue == 1)
            #expect(await Integration.poolError { try await timedOut.value }?.code == .timeout)
            #expect(try metrics.expectCounter(Label.acquireTimeouts, dimensions).totalValue == 1)
            #expect(try metrics.expectMeter(Label.waiters, dimensions).lastValue == 0)
            // A waiter that is served when a holder gives its connection back.
            let served = Task { try await pool.query("SELECT 1") }
            #expect(try await Integration.eventually { pool.statistics.waiting == 1 })
            try await Task.sleep(for: .milliseconds(50))
            latch.open()
            for holder in holders { try await holder.value }
            _ = try await served.value
            #expect(try metrics.expectMeter(Label.connectionsInUse, dimensions).lastValue == 0)
            #expect(try metrics.expectMeter(Label.connectionsIdle, dimensions).lastValue == 2)
            #expect(try metrics.expectMeter(Label.waiters, dimensions).lastValue == 0)
            let acquireTimes = try metrics.expectTimer(Label.acquireDuration, dimensions).values
            #expect(acquireTimes.count == 3)  // two holders and the served waiter, not the timeout
            #expect(acquireTimes.max() ?? 0 >= 50_000_000)  // the served waiter waited ≥ 50 ms
            #expect(try metrics.expectCounter(Label.connectionsCreated, dimensions).totalValue == 2)
            running.cancel()
            try await running.value
            #expect(pool.isClosed)
            #expect(try metrics.expectCounter(Label.connectionsClosed, dimensions).totalValue == 2)
            #expect(try metrics.expectMeter(Label.connectionsIdle, dimensions).lastValue == 0)
        }
    }
}
