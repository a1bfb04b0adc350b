import Foundation
import PGTestServer
import PGWire
import Testing

/// A connection whose peer stops acknowledging (no FIN, no RST: packets just vanish) fails in
/// seconds with tcp_user_timeout, instead of the kernel's ~15 minutes of retransmissions.
@Suite(.serialized, .enabled(if: BlackholeHost.isAvailable, "needs root, iproute2 and python3"))
struct BlackholeTests {
    static func withHost(_ body: (BlackholeHost) async throws -> Void) async throws {
        let host = BlackholeHost()
        do {
            try await onOwnThread { try host.create() }
            try await body(host)
        } catch {
            try? await onOwnThread { host.remove() }
            throw error
        }
        try await onOwnThread { host.remove() }
    }

    @Test func aQueryOnABlackholedConnectionFailsWithinTheUserTimeout() async throws {
        try await Self.withHost { host in
            var configuration = PGConnection.Configuration(host: host.address, port: host.port, user: "fake", connectTimeout: .seconds(10))
            configuration.tls.mode = .disable  // the fake server knows no SSLRequest
            configuration.tcpUserTimeout = .seconds(1)
            // A safety net so that a broken user timeout fails the test instead of hanging it:
            // its error would not say "stopped acknowledging".
            configuration.queryTimeout = .seconds(8)
            configuration.cancelGrace = .seconds(1)
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(try await connection.simpleQuery("SELECT 0").first?.commandTag == "SELECT 0")
            try await onOwnThread { try host.blackhole() }
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT 0") }
            let elapsed = ContinuousClock.now - started
            #expect(error?.code == .timeout)
            #expect(error?.message.contains("stopped acknowledging") == true)
            #expect(elapsed < .seconds(20))  // the kernel's default would be about 15 minutes
            #expect(connection.isClosed)
        }
    }

    @Test func withoutAUserTimeoutTheQueryTimeoutStillEndsTheWait() async throws {
        try await Self.withHost { host in
            var configuration = PGConnection.Configuration(host: host.address, port: host.port, user: "fake", connectTimeout: .seconds(10))
            configuration.tls.mode = .disable  // the fake server knows no SSLRequest
            configuration.queryTimeout = .milliseconds(500)
            configuration.cancelGrace = .milliseconds(500)
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            try await onOwnThread { try host.blackhole() }
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT 0") }
            #expect(error?.code == .timeout)
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(connection.isClosed)
        }
    }
}
