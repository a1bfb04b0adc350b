import Foundation
import PGTestServer
import PGWire
import Testing

extension Integration {
    /// PGListener: the dedicated notification connection that reconnects with backoff.
    @Suite struct ListenerTests {
        static let quickBackoff = ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200))

        @Test func reconnectsAfterItsBackendIsTerminated() async throws {
            let listener = PGListener(configuration: try Integration.configuration(), backoff: Self.quickBackoff)
            let admin = try await Integration.connect()
            defer { Task { await listener.close(); await admin.close() } }
            let first = try await listener.listen("jobs")
            let pid = try #require(listener.processID)
            _ = try await admin.execute("SELECT pg_notify('jobs', 'one')")
            #expect(try await NotificationTests.collect(first, count: 1).map(\.payload) == ["one"])

            _ = try await admin.execute("SELECT pg_terminate_backend($1)", [pid])
            let error = await #expect(throws: PGError.self) { for try await _ in first {} }
            #expect(error?.code == .serverClosedConnection)
            // It reconnects by itself, with a new backend, and listening works again.
            #expect(try await Integration.eventually { listener.processID.map { $0 != pid } ?? false })
            #expect(listener.reconnectCount == 1)
            let second = try await listener.listen("jobs")
            _ = try await admin.execute("SELECT pg_notify('jobs', 'two')")
            #expect(try await NotificationTests.collect(second, count: 1).map(\.payload) == ["two"])
        }

        @Test func waitsOutAServerRestartWithinItsTimeoutAndFailsClearlyMeanwhile() async throws {
            let folder = try TestServer.makeReachableFolder(prefix: "pgwire-listener")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let options = TestServer.Options(dataDirectory: folder + "/cluster")
            // Start and stop off the cooperative pool (they block for seconds); the defer only
            // cleans up after a failed expectation, the normal path has stopped it already.
            var server = try await onOwnThread { try TestServer.start(options) }
            let port = server.port
            defer { try? server.stop() }
            let configuration = PGConnection.Configuration(
                host: server.host, port: port, user: server.superuser, database: server.database)
            let listener = PGListener(configuration: configuration, backoff: Self.quickBackoff)
            defer { Task { await listener.close() } }
            let before = try await listener.listen("restart")

            try await onOwnThread { [server] in try server.stop() }
            let lost = await #expect(throws: PGError.self) { for try await _ in before {} }
            #expect(lost?.code == .serverClosedConnection)
            // While the server is down, a listen fails within its timeout, naming the server
            // and why it cannot connect.
            let started = ContinuousClock.now
            let down = await #expect(throws: PGError.self) {
                try await listener.listen("restart", timeout: .milliseconds(400))
            }
            #expect(ContinuousClock.now - started < .seconds(10))  // margin for a loaded machine
            #expect(down?.code == .timeout)
            #expect(down?.message.contains("\(port)") == true)

            server = try await onOwnThread { try TestServer.start(TestServer.Options(dataDirectory: folder + "/cluster", port: port)) }
            let after = try await listener.listen("restart", timeout: .seconds(10))
            let sender = try await PGConnection.connect(configuration)
            defer { Task { await sender.close() } }
            _ = try await sender.execute("SELECT pg_notify('restart', 'back')")
            #expect(try await NotificationTests.collect(after, count: 1).map(\.payload) == ["back"])
            #expect(listener.reconnectCount == 1)
            try await onOwnThread { [server] in try server.stop() }
        }

        @Test func aRejectedPasswordFailsAtOnceNotAfterTheTimeout() async throws {
            let configuration = try Integration.configuration(.scramSHA256, password: "wrong")
            let listener = PGListener(configuration: configuration, backoff: Self.quickBackoff)
            defer { Task { await listener.close() } }
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) { try await listener.listen("x", timeout: .seconds(60)) }
            #expect(ContinuousClock.now - started < .seconds(20))  // not the 60 s timeout
            #expect(error?.sqlState == "28P01")
        }

        @Test func cancellingTheTaskEndsAWaitForTheConnectionAtOnce() async throws {
            // Nothing listens on port 1: the listener retries with backoff, the waiter waits.
            let configuration = PGConnection.Configuration(host: "127.0.0.1", port: 1, user: "x", connectTimeout: .seconds(2))
            let listener = PGListener(configuration: configuration, backoff: Self.quickBackoff)
            defer { Task { await listener.close() } }
            let waiting = Task { try await listener.listen("x", timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            waiting.cancel()
            let result = await waiting.result
            #expect(ContinuousClock.now - started < .seconds(20))  // not the 60 s timeout
            guard case .failure(let error) = result else {
                Issue.record("listen succeeded against a closed port")
                return
            }
            #expect(error is CancellationError)
        }

        @Test func closeEndsSequencesAndRefusesNewListeners() async throws {
            let listener = PGListener(configuration: try Integration.configuration())
            let sequence = try await listener.listen("closing")
            await listener.close()
            let ended = await #expect(throws: PGError.self) { for try await _ in sequence {} }
            #expect(ended?.code == .closed)
            let refused = await #expect(throws: PGError.self) { try await listener.listen("closing") }
            #expect(refused?.code == .closed)
        }

        @Test func backoffGrowsToItsMaximumWithBoundedJitter() {
            let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2, jitter: 0.2)
            #expect(backoff.delay(afterFailures: 0, random: 0) == .milliseconds(100))
            #expect(backoff.delay(afterFailures: 3, random: 0) == .milliseconds(800))
            #expect(backoff.delay(afterFailures: 10, random: 0) == .seconds(2))
            #expect(backoff.delay(afterFailures: 1_000, random: 0) == .seconds(2))
            #expect(backoff.delay(afterFailures: 0, random: 1) == .milliseconds(120))
            #expect(backoff.delay(afterFailures: 0, random: -1) == .milliseconds(80))
        }
    }
}
