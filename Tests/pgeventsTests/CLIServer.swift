import Foundation
import PGTestServer
import Testing

/// Starts one private PostgreSQL cluster, with TLS, around every suite nested in ``CLI``, and stops it.
struct CLIServerTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // With TLS, so every CLI test also shows pgevents working over it (libpq's default
        // sslmode=prefer encrypts the --url connections).
        try await TestServer.withRunning(TestServer.Options(tls: .init())) { server in
            try await CLI.$server.withValue(server) { try await function() }
        }
    }
}

/// The root of the suites that run pgevents against a server given by --url.
@Suite(CLIServerTrait(), .serialized)
enum CLI {
    @TaskLocal static var server: TestServer?

    static func requireServer() throws -> TestServer {
        try #require(server, "CLI tests must run inside the CLI suite")
    }

    /// The superuser over TCP (trust).
    static func url() throws -> String {
        let server = try requireServer()
        return "postgresql://\(server.superuser)@\(server.host):\(server.port)/\(server.database)"
    }

    /// A schema name no other test uses.
    static func freshSchema() -> String {
        "t_" + UUID().uuidString.prefix(8).lowercased()
    }

    /// Runs pgevents with `--url` and `--schema` added.
    static func run(
        _ arguments: [String], schema: String, stdin: String? = nil,
        environment: [String: String] = PGEventsProcess.baseEnvironment
    ) async throws -> PGEventsProcess.Result {
        try await PGEventsProcess.run(arguments + ["--url", try url(), "--schema", schema], environment: environment, stdin: stdin)
    }

    /// A fresh, migrated schema.
    static func migratedSchema() async throws -> String {
        let schema = freshSchema()
        let result = try await run(["migrate"], schema: schema)
        #expect(result.status == 0, "\(result.stderr)")
        return schema
    }
}
