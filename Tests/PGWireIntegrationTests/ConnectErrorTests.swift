#if canImport(Glibc)
import Glibc
#endif
import PGWire
import Testing

/// A TCP socket bound to 127.0.0.1 on a free port, for tests that need a peer which is not
/// PostgreSQL: nothing listening, or a listener that never accepts.
struct LoopbackSocket: ~Copyable {
    let fd: Int32
    let port: Int

    init(flags: Int32 = 0) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | flags, 0)
        try #require(fd >= 0)
        var address = Self.address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        try #require(bound)
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// Starts a non-blocking connect from a new socket to `port`; returns that socket.
    static func connectNonBlocking(to port: Int) -> Int32 {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = address(port: port)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                _ = connect(client, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return client
    }
}

extension Integration {
    @Suite struct ConnectErrorTests {
        /// A TCP port on 127.0.0.1 with nothing listening on it.
        static func closedPort() throws -> Int {
            try LoopbackSocket().port
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

        @Test func peerThatResetsDuringStartupIsAnErrorNotAHang() async throws {
            // A listener that accepts nothing: connect succeeds through the backlog and the
            // startup waits for an answer. Shutting the listener down resets the pending
            // connection; the client must report that rather than hang.
            let listener = try LoopbackSocket()
            #expect(listen(listener.fd, 1) == 0)
            let fd = listener.fd
            Task {
                try await Task.sleep(for: .milliseconds(300))
                shutdown(fd, Int32(SHUT_RDWR))
            }
            // connect_timeout bounds the whole startup now: long enough that the reset, not the
            // timeout, ends the attempt on a loaded machine.
            let configuration = PGConnection.Configuration(host: "127.0.0.1", port: listener.port, user: "x", connectTimeout: .seconds(20))
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .serverClosedConnection)
            #expect(ContinuousClock.now - started < .seconds(30))  // a hang would be forever; margin for a loaded machine
        }

        @Test func connectTimeoutWhenTheListenQueueIsFull() async throws {
            // A listener that never accepts, with its queue filled: Linux then drops further
            // SYNs, so a new connect stays in progress and only the connect timeout ends it.
            let listener = try LoopbackSocket()
            #expect(listen(listener.fd, 0) == 0)
            let fillers = (0..<4).map { _ in LoopbackSocket.connectNonBlocking(to: listener.port) }
            defer { fillers.forEach { _ = close($0) } }
            let configuration = PGConnection.Configuration(host: "127.0.0.1", port: listener.port, user: "x", connectTimeout: .milliseconds(300))
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            let elapsed = ContinuousClock.now - started
            #expect(error?.code == .timeout)
            #expect(error?.message.contains("timed out") == true)
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(10))  // margin for a loaded machine
        }
    }
}
