import PGWire
import Synchronization
import Testing

/// A one-way gate: tasks wait until it opens.
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A list shared between tasks.
final class SharedList<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
}

extension Integration {
    /// A pool configuration for the test server whose sessions carry `applicationName`, so a
    /// test can count its own sessions in pg_stat_activity while other suites run.
    static func poolConfiguration(
        _ applicationName: String, maximum: Int = 4, acquireTimeout: Duration = .seconds(10),
        configure: (inout PGPool.Configuration) -> Void = { _ in }
    ) throws -> PGPool.Configuration {
        var connection = try Integration.configuration()
        connection.applicationName = applicationName
        var configuration = PGPool.Configuration(
            connection: connection, maximumConnections: maximum, acquireTimeout: acquireTimeout)
        configure(&configuration)
        return configuration
    }

    /// The server's sessions named `applicationName`.
    static func sessionCount(_ applicationName: String, observer: PGConnection) async throws -> Int {
        let rows = try await observer.query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = \(applicationName)"
        ).collect()
        return try rows[0].decode(Int.self, at: 0)
    }

    /// A pool already holding `count` open connections, opened by ``PGPool/run()`` (whose
    /// warm-up connects are not bound by the acquire timeout), so that a test with a short
    /// acquire timeout does not fail on a connect slowed down by the rest of the suite.
    /// Cancel the returned task to close the pool.
    static func warmPool(
        _ configuration: PGPool.Configuration, count: Int
    ) async throws -> (pool: PGPool, running: Task<Void, any Error>) {
        var configuration = configuration
        configuration.minimumConnections = count
        let pool = PGPool(configuration: configuration)
        let running = Task { try await pool.run() }
        #expect(try await eventually(within: .seconds(20)) { pool.statistics.idle == count })
        return (pool, running)
    }

    /// Waits until backend `pid` is running a statement that starts with `prefix`.
    static func waitUntilActive(_ pid: Int32, _ prefix: String, observer: PGConnection) async throws {
        let running = try await eventually(within: .seconds(10)) {
            let rows = try await observer.query(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND state = 'active' AND starts_with(query, \(prefix))"
            ).collect()
            return try rows[0].decode(Int.self, at: 0) == 1
        }
        #expect(running, "backend \(pid) never started \(prefix)")
    }

    /// Polls until `condition` holds, for at most `limit`; returns whether it came true.
    static func eventually(
        within limit: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// The PGError `body` throws, nil if it throws none; other errors are recorded.
    static func poolError<T>(_ body: () async throws -> T) async -> PGError? {
        do {
            _ = try await body()
            return nil
        } catch let error as PGError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }
}
