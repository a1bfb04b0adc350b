import PGTestServer
import PGWire
import Testing

/// Starts one private PostgreSQL cluster around every suite nested in ``Integration`` and stops
/// it (removing its folder) when they are done. No test uses a server it did not start.
struct PostgresServerTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await TestServer.withRunning { server in
            try await Integration.$server.withValue(server) { try await function() }
        }
    }
}

extension Trait where Self == PostgresServerTrait {
    static var postgresServer: Self { Self() }
}

/// The root of all integration suites; each file adds a nested suite in an extension.
@Suite(.postgresServer)
enum Integration {
    @TaskLocal static var server: TestServer?

    /// The running test server; fails the test when the trait did not start one.
    static func requireServer() throws -> TestServer {
        try #require(server, "integration tests must run inside the Integration suite")
    }

    enum Transport: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case tcp, unixSocket, tcpIPv6
        var testDescription: String { rawValue }
    }

    /// A configuration for `user` of the test server over `transport`.
    static func configuration(
        _ method: TestServer.AuthMethod = .trust, transport: Transport = .tcp, password: String?? = .none
    ) throws -> PGConnection.Configuration {
        let server = try requireServer()
        let user: (name: String, password: String?) =
            method == .trust ? (server.superuser, nil) : (server.user(method).name, server.user(method).password)
        let host: String
        switch transport {
        case .tcp: host = server.host
        case .unixSocket: host = server.socketDirectory
        case .tcpIPv6: host = "::1"
        }
        return PGConnection.Configuration(
            host: host, port: server.port, user: user.name,
            password: password ?? user.password, database: server.database, applicationName: "pgwire-tests")
    }

    /// Connects as the superuser (trust) over TCP unless told otherwise.
    static func connect(
        _ method: TestServer.AuthMethod = .trust, transport: Transport = .tcp,
        noticeHandler: PGConnection.NoticeHandler? = nil
    ) async throws -> PGConnection {
        try await PGConnection.connect(try configuration(method, transport: transport), noticeHandler: noticeHandler)
    }
}
