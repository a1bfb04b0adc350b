import PGTestServer
import PGWire
import Testing

/// A private primary and its streaming standby, started for one test and stopped after it:
/// tests that promote the standby or change the primary's settings cannot share a server.
struct ReplicaPair: Sendable {
    let primary: TestServer
    let standby: TestServer

    /// Starts both (about 1.5 s), runs `body`, stops both.
    static func withRunning<T>(_ body: (ReplicaPair) async throws -> T) async throws -> T {
        let pair = try await onOwnThread { () throws -> ReplicaPair in
            let primary = try TestServer.start()
            do { return ReplicaPair(primary: primary, standby: try primary.startStandby()) } catch {
                try? primary.stop()
                throw error
            }
        }
        do {
            let result = try await body(pair)
            await pair.stop()
            return result
        } catch {
            await pair.stop()
            throw error
        }
    }

    func stop() async {
        _ = try? await onOwnThread { [standby, primary] in
            try? standby.stop()
            try? primary.stop()
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
