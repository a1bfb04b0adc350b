import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Testing

/// Starts one private PostgreSQL cluster around every suite nested in ``StoreIntegration``.
struct StoreServerTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await TestServer.withRunning { server in
            try await StoreIntegration.$server.withValue(server) { try await function() }
        }
    }
}

/// The root of the store's integration suites.
@Suite(StoreServerTrait(), .serialized)
enum StoreIntegration {
    @TaskLocal static var server: TestServer?

    static func requireServer() throws -> TestServer {
        try #require(server, "store integration tests must run inside StoreIntegration")
    }

    static func connectionConfiguration() throws -> PGConnection.Configuration {
        let server = try requireServer()
        return PGConnection.Configuration(
            host: server.host, port: server.port, user: server.superuser, database: server.database,
            applicationName: "pgevents-tests")
    }

    /// A store in a schema of its own (tests never share tables), migrated.
    static func freshStore(
        _ name: String = #function, maximumConnections: Int = 4, copyThreshold: Int = 256, pageSize: Int = 1_000,
        migrate: Bool = true
    ) async throws -> EventStore {
        let schema = "t_" + String(UUID().uuidString.prefix(8)).lowercased()
        let store = try EventStore(
            EventStore.Configuration(
                connection: try connectionConfiguration(), schema: schema, maximumConnections: maximumConnections,
                copyThreshold: copyThreshold, pageSize: pageSize))
        if migrate { try await store.migrate() }
        return store
    }

    static func connect() async throws -> PGConnection {
        try await PGConnection.connect(try connectionConfiguration())
    }

    /// `count` events of `type` with small JSON bodies numbered from `first`.
    static func events(_ count: Int, type: String = "Happened", first: Int = 0) throws -> [NewEvent] {
        try (first..<(first + count)).map { try NewEvent(type: type, data: PGRawJSON(#"{"n": \#($0)}"#)) }
    }
}
