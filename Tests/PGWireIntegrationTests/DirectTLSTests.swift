import Foundation
import PGTestServer
import PGWire
import Testing

/// `sslnegotiation=direct` (PostgreSQL 17's TLS without SSLRequest) through an in-test TLS
/// endpoint in front of the PostgreSQL 15 server (``TestServer/DirectTLSEndpoint``): the
/// client must open with a ClientHello offering ALPN `postgresql`, insist that the server
/// selects it, and send its cancel requests the same way.
@Suite(.serialized) struct DirectTLSTests {
    /// The superuser through `endpoint`, verify-full against the test CA.
    static func configuration(
        _ server: TestServer, _ tls: TestServer.TLSSetup, through endpoint: TestServer.DirectTLSEndpoint
    ) -> PGConnection.Configuration {
        var configuration = TLSTests.configuration(server, .verifyFull, root: tls.certificateAuthority)
        configuration.port = endpoint.port
        configuration.tls.negotiation = .direct
        configuration.connectTimeout = .seconds(10)
        return configuration
    }

    @Test func aDirectConnectionOffersALPNAndWorks() async throws {
        try await TLSTests.withTLSServer { server, tls in
            try await server.withDirectTLSEndpoint { endpoint in
                let connection = try await PGConnection.connect(Self.configuration(server, tls, through: endpoint))
                #expect(connection.tlsInfo?.applicationProtocol == "postgresql")
                #expect(try await connection.query("SELECT 40 + $1::int", [2]).collect()[0].decode(Int.self, at: 0) == 42)
                let accepted = await endpoint.waitForConnections(1)
                #expect(accepted.first?.isDirect == true)
                #expect(accepted.first?.offeredALPN == ["postgresql"])
                #expect(accepted.first?.serverName == "localhost")
                await connection.close()

                // The same from a connection string.
                let string = "host=localhost port=\(endpoint.port) dbname=\(server.database) user=\(server.superuser) "
                    + "sslmode=require sslnegotiation=direct"
                let fromString = try await PGConnection.connect(try .init(connectionString: string, environment: [:]))
                #expect(fromString.tlsInfo?.applicationProtocol == "postgresql")
                await fromString.close()
            }
        }
    }

    @Test func aServerThatSelectsNoALPNIsRefused() async throws {
        try await TLSTests.withTLSServer { server, tls in
            try await server.withDirectTLSEndpoint(alpn: .noALPN) { endpoint in
                let error = await #expect(throws: PGError.self) {
                    try await PGConnection.connect(Self.configuration(server, tls, through: endpoint))
                }
                #expect(error?.code == .tlsFailed)
                #expect(error?.message.contains("without selecting ALPN protocol") == true, "\(error?.message ?? "")")
            }
        }
    }

    /// Only TLS reaches the server through the endpoint, so a cancel that works went encrypted.
    @Test func cancelRequestsGoOverDirectTLSToo() async throws {
        try await TLSTests.withTLSServer { server, tls in
            try await server.withDirectTLSEndpoint { endpoint in
                var configuration = Self.configuration(server, tls, through: endpoint)
                configuration.queryTimeout = .milliseconds(300)
                let connection = try await PGConnection.connect(configuration)
                let error = await #expect(throws: PGError.self) { try await connection.query("SELECT pg_sleep(30)", []).collect() }
                #expect(error?.code == .timeout)
                #expect(error?.sqlState == "57014", "\(String(describing: error))")
                let accepted = await endpoint.waitForConnections(2)
                #expect(accepted.count == 2 && accepted.allSatisfy(\.isDirect))
                #expect(try await connection.query("SELECT 1", []).collect().count == 1)
                await connection.close()
            }
        }
    }
}
