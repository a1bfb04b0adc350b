import Foundation
import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct StoreConnectionTests {
        /// More concurrent operations than connections: they queue for the one connection,
        /// and every one of them completes.
        @Test func operationsBeyondTheConnectionLimitWaitTheirTurn() async throws {
            var connection = try StoreIntegration.connectionConfiguration()
            connection.applicationName = "pgevents-pool-test"
            let store = try EventStore(.init(
                connection: connection, schema: "t_pool_" + String(UUID().uuidString.prefix(6)).lowercased(), maximumConnections: 1))
            defer { Task { await store.close() } }
            try await store.migrate()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<20 {
                    group.addTask { try await store.append(to: "q-\(writer % 4)", try StoreIntegration.events(2)) }
                }
                try await group.waitForAll()
            }
            #expect(try await store.readAll().collect().count == 40)
            let probe = try await StoreIntegration.connect()
            defer { Task { await probe.close() } }
            let sessions = try await probe.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgevents-pool-test'"
            ).collect()
            #expect(try sessions[0].decode(Int64.self, at: 0) == 1, "the store must use exactly its one connection")
        }

        @Test func aClosedStoreRefusesNewWork() async throws {
            let store = try await StoreIntegration.freshStore()
            try await store.append(to: "c-1", try StoreIntegration.events(1))
            await store.close()
            await #expect { try await store.append(to: "c-1", try StoreIntegration.events(1)) } throws: {
                ($0 as? EventStoreError)?.code == .closed && "\($0)".contains("closed")
            }
        }

        /// A failed COPY append leaves its connection out of any transaction: the next
        /// operation on the (only) connection works.
        @Test func aFailedCopyAppendLeavesAUsableConnection() async throws {
            let store = try await StoreIntegration.freshStore(maximumConnections: 1, copyThreshold: 2)
            defer { Task { await store.close() } }
            try await store.append(to: "f-1", expected: .noStream, try StoreIntegration.events(3))
            await #expect { try await store.append(to: "f-1", expected: .noStream, try StoreIntegration.events(3)) } throws: {
                ($0 as? EventStoreError)?.code == .versionConflict
            }
            let next = try await store.append(to: "f-1", expected: .exact(3), try StoreIntegration.events(3))
            #expect(next.versions == ["f-1": 6])
        }
    }
}

extension StoreIntegration.StoreConnectionTests {
    /// The server ends the store's session (an administrator, a failover): the operation that
    /// meets the dead connection fails with a typed error, and the store opens a new
    /// connection for the next one; nothing half-written remains.
    @Test func aTerminatedSessionIsReplacedByTheNextOperation() async throws {
        var connection = try StoreIntegration.connectionConfiguration()
        connection.applicationName = "pgevents-terminate-test"
        let store = try EventStore(.init(
            connection: connection, schema: "t_term_" + String(UUID().uuidString.prefix(6)).lowercased(), maximumConnections: 1))
        defer { Task { await store.close() } }
        try await store.migrate()
        try await store.append(to: "t-1", expected: .noStream, try StoreIntegration.events(2))
        let admin = try await StoreIntegration.connect()
        defer { Task { await admin.close() } }
        _ = try await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgevents-terminate-test'"
        ).collect()
        var failures = 0
        var result: AppendResult?
        for _ in 0..<3 where result == nil {
            do {
                result = try await store.append(to: "t-1", expected: .exact(2), try StoreIntegration.events(1))
            } catch let error as PGError {
                failures += 1
                #expect([.serverClosedConnection, .closed, .connectionFailed].contains(error.code), "\(error)")
            }
        }
        #expect(failures <= 1)
        #expect(result?.versions == ["t-1": 3])
        #expect(try await store.readStream("t-1").collect().map(\.version) == [1, 2, 3])
    }
}

/// The guarantees the store gets from borrowing PGPool's connections: a bounded wait, no
/// reuse of a cancelled task's connection, and a borrowed pool left to its owner.
extension StoreIntegration.StoreConnectionTests {
    /// With the only connection held by a slow append, a second operation gives up after the
    /// acquire timeout with the store's typed error, instead of waiting until the slow one ends.
    @Test func anOperationBeyondTheLimitFailsAfterTheAcquireTimeout() async throws {
        let application = "pgevents-acquire-timeout-test"
        var connection = try StoreIntegration.connectionConfiguration()
        connection.applicationName = application
        let schema = "t_acq_" + String(UUID().uuidString.prefix(6)).lowercased()
        let store = try EventStore(.init(
            connection: connection, schema: schema, maximumConnections: 1, acquireTimeout: .milliseconds(500)))
        defer { Task { await store.close() } }
        try await store.migrate()
        try await Self.slowDownAppends(of: "Slow", in: schema, seconds: 4)

        let slow = Task { try await store.append(to: "slow-1", [try NewEvent(type: "Slow", data: PGRawJSON("{}"))]) }
        _ = try await Self.sleepingBackend(application)
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            _ = try await store.readAll().collect()
        } throws: { error in
            guard let error = error as? EventStoreError, error.code == .acquireTimeout else { return false }
            return (error.underlying as? PGError)?.code == .timeout && "\(error)".contains("acquire timeout")
        }
        let waited = clock.now - start
        #expect(waited >= .milliseconds(450), "gave up before the acquire timeout: \(waited)")
        // The slow append sleeps 4 s: waiting for it would take well over 2.5 s.
        #expect(waited < .milliseconds(2_500), "waited \(waited) for a 500 ms acquire timeout")
        // The timeout did not disturb the operation holding the connection.
        #expect(try await slow.value.versions == ["slow-1": 1])
    }

    /// An append whose task is cancelled while its statement runs is not committed, and its
    /// connection is closed rather than lent again: the next operations get a new session and
    /// the old backend ends. (A store that reused it would show the same backend pid.)
    @Test func aCancelledOperationsConnectionIsNotReused() async throws {
        let application = "pgevents-cancel-test"
        var connection = try StoreIntegration.connectionConfiguration()
        connection.applicationName = application
        let schema = "t_cancel_" + String(UUID().uuidString.prefix(6)).lowercased()
        let store = try EventStore(.init(connection: connection, schema: schema, maximumConnections: 1))
        defer { Task { await store.close() } }
        try await store.migrate()
        // Long enough that only the cancellation can end the statement within the test.
        try await Self.slowDownAppends(of: "Slow", in: schema, seconds: 60)

        let slow = Task { try await store.append(to: "c-1", [try NewEvent(type: "Slow", data: PGRawJSON("{}"))]) }
        let oldBackend = try await Self.sleepingBackend(application)
        slow.cancel()
        let outcome = await slow.result
        #expect(throws: (any Error).self) { try outcome.get() }

        let next = try await store.append(to: "c-1", expected: .noStream, try StoreIntegration.events(2))
        #expect(next.versions == ["c-1": 2], "the cancelled append must not have been committed")
        #expect(try await store.readStream("c-1").collect().map(\.type) == ["Happened", "Happened"])
        let backend = try await store.pool.withConnection { connection in
            try await connection.query("SELECT pg_backend_pid()").collect()[0].decode(Int32.self, at: 0)
        }
        #expect(backend != oldBackend, "the cancelled task's session was lent again")

        let probe = try await StoreIntegration.connect()
        defer { Task { await probe.close() } }
        var remaining: Int64 = -1
        for _ in 0..<100 {
            remaining = try await probe.query(
                PGQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [oldBackend])
            ).collect()[0].decode(Int64.self, at: 0)
            if remaining == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(remaining == 0, "backend \(oldBackend) of the cancelled append is still connected")
    }

    /// A store given the application's pool borrows from it but leaves closing it to the
    /// application; a store that made its own pool closes it.
    @Test func aStoreDoesNotCloseAPoolItWasGiven() async throws {
        let pool = PGPool(configuration: .init(connection: try StoreIntegration.connectionConfiguration(), maximumConnections: 2))
        let schema = "t_ext_" + String(UUID().uuidString.prefix(6)).lowercased()
        let store = try EventStore(.init(pool: pool, schema: schema))
        #expect(store.pool === pool)
        try await store.migrate()
        try await store.append(to: "e-1", try StoreIntegration.events(1))
        await store.close()

        #expect(!pool.isClosed)
        #expect(try await pool.query("SELECT 1", []).rows.count == 1, "the application's pool must still lend connections")
        await #expect { try await store.append(to: "e-1", try StoreIntegration.events(1)) } throws: {
            ($0 as? EventStoreError)?.code == .closed && "\($0)".contains("closed")
        }
        // Another store on the same pool still works, until the application closes the pool.
        let second = try EventStore(.init(pool: pool, schema: schema))
        #expect(try await second.readStream("e-1").collect().count == 1)
        await pool.close()
        await #expect { try await second.readStream("e-1").collect() } throws: {
            ($0 as? EventStoreError)?.code == .closed && ($0 as? EventStoreError)?.underlying is PGError
        }

        let own = try await StoreIntegration.freshStore()
        #expect(!own.pool.isClosed)
        await own.close()
        #expect(own.pool.isClosed)
    }

    /// Makes every insert of an event of `type` into the store's events table sleep.
    static func slowDownAppends(of type: String, in schema: String, seconds: Int) async throws {
        let admin = try await StoreIntegration.connect()
        defer { Task { await admin.close() } }
        _ = try await admin.simpleQuery("""
            CREATE FUNCTION \(schema).slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.event_type = '\(type)' THEN PERFORM pg_sleep(\(seconds)); END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER slow_insert BEFORE INSERT ON \(schema).events
                FOR EACH ROW EXECUTE FUNCTION \(schema).slow_insert();
            """)
    }

    /// The pid of the backend of `application` once it sleeps in pg_sleep (within 10 s).
    static func sleepingBackend(_ application: String) async throws -> Int32 {
        let probe = try await StoreIntegration.connect()
        defer { Task { await probe.close() } }
        for _ in 0..<500 {
            let rows = try await probe.query(
                PGQuery(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'PgSleep'",
                    [application])
            ).collect()
            if let row = rows.first { return try row.decode(Int32.self, at: 0) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw EventStoreError(.notFound, "no backend of \(application) went to sleep")
    }
}
