@testable import PGWire
import Synchronization
import Testing

@Suite struct EndpointTests {
    @Test func hostBeginningWithSlashIsASocketDirectory() {
        #expect(PGEndpoint(host: "/var/run/postgresql", port: 5432) == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(PGEndpoint(host: "/tmp/", port: 6000) == .unixSocket(path: "/tmp/.s.PGSQL.6000"))
        #expect(PGEndpoint(host: "db.example", port: 5433) == .tcp(host: "db.example", port: 5433))
        #expect(PGEndpoint(host: "::1", port: 5432).description == "[::1]:5432")
        #expect(PGEndpoint(host: "127.0.0.1", port: 5432).description == "127.0.0.1:5432")
    }

    @Test func unixAddressRejectsOverlongPaths() {
        #expect(ResolvedAddress.unix(path: "/tmp/.s.PGSQL.5432")?.description == "/tmp/.s.PGSQL.5432")
        #expect(ResolvedAddress.unix(path: "/" + String(repeating: "d", count: 200)) == nil)
    }
}

@Suite struct ErrorDescriptionTests {
    @Test func descriptionShowsSQLStateAndMessage() {
        let error = PGError.server([.sqlState: "23505", .message: "duplicate key", .detail: "Key (id)=(1) already exists.", .severity: "ERROR"])
        #expect(error.code == .server)
        #expect("\(error)" == "PGError(server, SQLSTATE 23505): duplicate key DETAIL: Key (id)=(1) already exists.")
        #expect(error.sqlState == PGSQLState.uniqueViolation)
        #expect(error.severity == "ERROR")
    }

    @Test func configurationDescriptionHidesThePassword() {
        let configuration = PGConnection.Configuration(host: "h", port: 1, user: "u", password: "hunter2", database: "d")
        #expect(!"\(configuration)".contains("hunter2"))
        #expect("\(configuration)".contains("u"))
    }

    @Test func startupParametersAlwaysUseUTF8() {
        let configuration = PGConnection.Configuration(
            user: "u", applicationName: "app", runtimeParameters: ["client_encoding": "LATIN1", "search_path": "s"])
        let parameters = configuration.startupParameters
        #expect(parameters.filter { $0.0 == "client_encoding" }.map(\.1) == ["UTF8"])
        #expect(parameters.contains { $0 == ("application_name", "app") })
        #expect(parameters.contains { $0 == ("search_path", "s") })
    }
}

@Suite struct ExchangeLockTests {
    final class Recorder: Sendable {
        let order = Mutex<[Int]>([])
        let inside = Mutex(0)
        let maximum = Mutex(0)
    }

    @Test func aCancelledWaiterLeavesTheLineAndIsNeverHandedTheLock() async throws {
        let lock = ExchangeLock()
        await lock.lock()
        let cancelled = Task { try await lock.lockUnlessCancelled() }
        let next = Task { await lock.lock() }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        let outcome = await cancelled.result
        guard case .failure(let error) = outcome else {
            Issue.record("the cancelled waiter took the lock")
            return
        }
        #expect(error is CancellationError)
        lock.unlock()
        await next.value  // handed to the waiter behind the cancelled one, not lost
        #expect(!lock.tryLock())
        lock.unlock()
        #expect(lock.tryLock())
    }

    @Test func waitersAreServedInOrderAndExclusively() async {
        let lock = ExchangeLock()
        let recorder = Recorder()
        await lock.lock()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    await lock.withLock {
                        let concurrent = recorder.inside.withLock { $0 += 1; return $0 }
                        recorder.maximum.withLock { $0 = max($0, concurrent) }
                        recorder.order.withLock { $0.append(index) }
                        await Task.yield()
                        recorder.inside.withLock { $0 -= 1 }
                    }
                }
                // Let each waiter enqueue before the next, so arrival order is known.
                try? await Task.sleep(for: .milliseconds(2))
            }
            lock.unlock()
        }
        #expect(recorder.order.withLock { $0 } == Array(0..<20))
        #expect(recorder.maximum.withLock { $0 } == 1)
        #expect(lock.tryLock())
        #expect(!lock.tryLock())
    }
}
