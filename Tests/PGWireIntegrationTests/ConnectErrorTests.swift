#if canImport(Glibc)
import Glibc
#endif
import PGWire
import Testing

extension Integration {
    @Suite struct ConnectErrorTests {
        /// A TCP port on 127.0.0.1 with nothing listening on it.
        static func closedPort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            try withUnsafeMutablePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    try #require(bind(fd, raw, length) == 0)
                    try #require(getsockname(fd, raw, &length) == 0)
                }
            }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        @Test func refusedTCP() async throws {
            let port = try Self.closedPort()
            let configuration = PGConnection.Configuration(host: "127.0.0.1", port: port, user: "x")
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .connectionRefused)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
            #expect(error?.errno == ECONNREFUSED)
        }

        @Test func missingUnixSocket() async throws {
            let configuration = PGConnection.Configuration(host: "/nonexistent-dir", port: 5999, user: "x")
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .connectionRefused)
            #expect(error?.message.contains("/nonexistent-dir/.s.PGSQL.5999") == true)
        }

        @Test func unresolvableHost() async throws {
            let configuration = PGConnection.Configuration(host: "no-such-host.invalid", port: 5432, user: "x", connectTimeout: .seconds(5))
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .connectionFailed)
            #expect(error?.message.contains("no-such-host.invalid") == true)
        }

        @Test func localhostResolvesThroughGetaddrinfo() async throws {
            var configuration = try Integration.configuration()
            configuration.host = "localhost"
            let connection = try await PGConnection.connect(configuration)
            #expect(try await connection.simpleQuery("SELECT 1")[0].rows[0].text(at: 0) == "1")
            await connection.close()
        }

        @Test func serverThatNeverAnswersHitsNoHang() async throws {
            // A listener that accepts nothing: connect succeeds via the backlog, startup waits.
            // The connect timeout does not cover the startup read, so we bound it with a task.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    _ = bind(fd, raw, length)
                    _ = getsockname(fd, raw, &length)
                }
            }
            #expect(listen(fd, 1) == 0)
            let port = Int(UInt16(bigEndian: address.sin_port))
            // Close the listener after a moment: the pending connection is reset, and the
            // client must report that rather than hang.
            Task {
                try await Task.sleep(for: .milliseconds(300))
                shutdown(fd, Int32(SHUT_RDWR))
            }
            let configuration = PGConnection.Configuration(host: "127.0.0.1", port: port, user: "x", connectTimeout: .seconds(2))
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .serverClosedConnection)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}

extension Integration.ConnectErrorTests {
    @Test func connectTimeoutWhenTheListenQueueIsFull() async throws {
        // A listener that never accepts, with its queue filled: Linux then drops further SYNs,
        // so a new connect stays in progress, and only the connect timeout ends it.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                _ = bind(listener, raw, length)
                _ = getsockname(listener, raw, &length)
            }
        }
        #expect(listen(listener, 0) == 0)
        var fillers: [Int32] = []
        defer { fillers.forEach { _ = close($0) } }
        for _ in 0..<4 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    _ = connect(filler, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            fillers.append(filler)
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let configuration = PGConnection.Configuration(host: "127.0.0.1", port: port, user: "x", connectTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("timed out") == true)
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(3))
    }
}
