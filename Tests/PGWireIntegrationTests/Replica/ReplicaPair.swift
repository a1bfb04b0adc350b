import PGTestServer
import PGWire
import Testing

/// The root of the replica suites. They run one at a time: each starts two clusters, and
/// several pairs starting at once with the rest of the tests starved the machine.
@Suite(.serialized)
enum Replicas {
    /// The pair of a suite that shares one (``SharedPairTrait``).
    @TaskLocal static var shared: ReplicaPair?

    static func requirePair() throws -> ReplicaPair {
        try #require(shared, "this suite needs SharedPairTrait")
    }
}

/// Starts one pair around a whole suite whose tests neither promote nor stop a server.
struct SharedPairTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await ReplicaPair.withRunning { pair in try await Replicas.$shared.withValue(pair) { try await function() } }
    }
}

/// A private primary and its streaming standby. Tests that promote the standby or change the
/// primary's settings start a pair of their own.
struct ReplicaPair: Sendable {
    let primary: TestServer
    let standby: TestServer

    /// Starts both (about 1.5 s), runs `body`, stops both.
    static func withRunning<T: Sendable>(_ body: (ReplicaPair) async throws -> T) async throws -> T {
        try await TestServer.withPrimaryAndStandby { primary, standby in
            try await body(ReplicaPair(primary: primary, standby: standby))
        }
    }

    /// The superuser over TCP, trying `servers` in the order given.
    static func configuration(
        _ servers: [TestServer], _ attributes: PGConnection.Configuration.TargetSessionAttributes = .any
    ) -> PGConnection.Configuration {
        var configuration = PGConnection.Configuration(
            host: servers[0].host, port: servers[0].port, user: servers[0].superuser, database: servers[0].database,
            applicationName: "pgwire-replica-tests", connectTimeout: .seconds(5))
        configuration.servers = servers.map { .init(host: $0.host, port: $0.port) }
        configuration.targetSessionAttributes = attributes
        return configuration
    }

    /// The port of the server that answered, as the server itself reports it.
    static func serverPort(_ pool: PGPool) async throws -> Int {
        let rows = try await pool.query("SELECT inet_server_port()", []).rows
        return Int(try rows[0].decode(Int32.self, at: 0))
    }
}
