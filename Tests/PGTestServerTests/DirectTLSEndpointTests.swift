import Foundation
import Testing

import PGTestServer

/// ``TestServer/DirectTLSEndpoint`` with `openssl s_client` as the direct-TLS client.
@Suite("DirectTLSEndpoint", .serialized)
struct DirectTLSEndpointTests {
    typealias Endpoint = TestServer.DirectTLSEndpoint

    /// A query whose answer shows who the server thinks is connected, and how.
    static let whoQuery = "SELECT 'relayed:' || current_user || ':ssl=' || (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())"

    static func withServer(_ body: (TestServer, TestServer.TLSSetup) async throws -> Void) async throws {
        try await TestServer.withRunning(.init(tls: .init())) { server in
            try await body(server, try #require(server.tls))
        }
    }

    @Test("a client offering ALPN postgresql completes the handshake and goes straight to TLS")
    func selectsPostgresql() async throws {
        try await Self.withServer { server, tls in
            try await server.withDirectTLSEndpoint { endpoint in
                #expect(endpoint.host == "127.0.0.1" && endpoint.port != server.port)
                let run = try await OpenSSLClient.run(
                    port: endpoint.port, certificateAuthority: tls.certificateAuthority, arguments: ["-alpn", "postgresql"])
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("ALPN protocol: postgresql"), "\(run.output)")
                #expect(run.output.contains("Verify return code: 0 (ok)"), "\(run.output)")

                let connections = await endpoint.waitForConnections(1)
                try #require(connections.count == 1)
                let connection = connections[0]
                #expect(connection.opening == .tlsHandshake && connection.isDirect)
                #expect(connection.offeredALPN == ["postgresql"])
                #expect(connection.selectedALPN == "postgresql")
                #expect(connection.serverName == "localhost")
                #expect(connection.tlsVersion?.hasPrefix("TLSv1.") == true)
                #expect(connection.outcome == .relayed)
                #expect(endpoint.lastALPNOffered == ["postgresql"])
            }
        }
    }

    @Test(".postgresql refuses a client offering no ALPN, or ALPN without postgresql, with no_application_protocol")
    func refusesOtherOffers() async throws {
        try await Self.withServer { server, tls in
            try await server.withDirectTLSEndpoint(alpn: .postgresql) { endpoint in
                let none = try await OpenSSLClient.run(port: endpoint.port, certificateAuthority: tls.certificateAuthority)
                #expect(none.status != 0)
                #expect(none.output.contains("no application protocol"), "\(none.output)")
                #expect(!none.output.contains("ALPN protocol: postgresql"), "\(none.output)")

                let other = try await OpenSSLClient.run(
                    port: endpoint.port, certificateAuthority: tls.certificateAuthority, arguments: ["-alpn", "h2,http/1.1"])
                #expect(other.status != 0)
                #expect(other.output.contains("no application protocol"), "\(other.output)")

                let connections = await endpoint.waitForConnections(2)
                try #require(connections.count == 2)
                #expect(connections.allSatisfy { $0.isDirect })
                #expect(connections[0].offeredALPN == nil)
                #expect(connections[1].offeredALPN == ["h2", "http/1.1"])
                #expect(connections.allSatisfy { $0.selectedALPN == nil })
                guard case .handshakeFailed(let noOffer) = connections[0].outcome,
                    case .handshakeFailed(let wrongOffer) = connections[1].outcome
                else {
                    Issue.record("expected failed handshakes: \(connections)")
                    return
                }
                #expect(noOffer.contains("no ALPN"), "\(noOffer)")
                #expect(wrongOffer.contains("without \"postgresql\""), "\(wrongOffer)")
                #expect(endpoint.lastALPNOffered == ["h2", "http/1.1"])
            }
        }
    }

    @Test(".noALPN completes the handshake without selecting a protocol")
    func noALPN() async throws {
        try await Self.withServer { server, tls in
            try await server.withDirectTLSEndpoint(alpn: .noALPN) { endpoint in
                #expect(endpoint.alpn == .noALPN)
                let run = try await OpenSSLClient.run(
                    port: endpoint.port, certificateAuthority: tls.certificateAuthority, arguments: ["-alpn", "postgresql"])
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("No ALPN negotiated"), "\(run.output)")
                let connection = try #require(await endpoint.waitForConnections(1).first)
                #expect(connection.isDirect)
                #expect(connection.offeredALPN == ["postgresql"])
                #expect(connection.selectedALPN == nil)
                #expect(connection.outcome == .relayed)
            }
        }
    }

    @Test("a client starting with an SSLRequest is recorded as not direct and closed without an answer")
    func sslRequestClient() async throws {
        try await Self.withServer { server, tls in
            try await server.withDirectTLSEndpoint { endpoint in
                let run = try await OpenSSLClient.run(
                    port: endpoint.port, certificateAuthority: tls.certificateAuthority, arguments: ["-starttls", "postgres"])
                #expect(run.status != 0, "\(run.output)")
                let connection = try #require(await endpoint.waitForConnections(1).first)
                #expect(connection.opening == .sslRequest)
                #expect(!connection.isDirect)
                #expect(connection.outcome == .notDirect)
                #expect(connection.offeredALPN == nil)
                #expect(endpoint.lastALPNOffered == nil)
            }
        }
    }

    @Test("the session reaches the server, which sees no TLS, over TCP and over its Unix socket", arguments: [Endpoint.Upstream.tcp, .unixSocket])
    func relaysSession(upstream: Endpoint.Upstream) async throws {
        try await Self.withServer { server, tls in
            try await server.withDirectTLSEndpoint(upstream: upstream) { endpoint in
                #expect(endpoint.upstream == upstream)
                // Megabytes both ways, more than the relay buffers, so that it must wait for
                // each side to drain.
                let large = String(repeating: "y", count: 1_500_000)
                let input = FrontendBytes.startup(user: server.superuser, database: server.database)
                    + FrontendBytes.query(Self.whoQuery)
                    + FrontendBytes.query("SELECT 'sent:' || length('\(large)')")
                    + FrontendBytes.query("SELECT repeat('x', 3000000)")
                    + FrontendBytes.terminate
                let run = try await OpenSSLClient.run(
                    port: endpoint.port, certificateAuthority: tls.certificateAuthority,
                    arguments: ["-alpn", "postgresql"], input: input, waitForServer: true)
                let summary = String(run.output.prefix(3000))
                #expect(run.output.contains("ALPN protocol: postgresql"), "\(summary)")
                #expect(run.output.contains("relayed:postgres:ssl=false"), "\(summary)")
                #expect(run.output.contains("sent:1500000"), "\(summary)")
                #expect(run.output.contains(String(repeating: "x", count: 3_000_000)), "\(summary)")
                let connection = try #require(await endpoint.waitForConnections(1).first)
                #expect(connection.outcome == .relayed)
            }
        }
    }

    @Test("stop ends an open session and the listener, and keeps the records")
    func stopEndsSessions() async throws {
        try await Self.withServer { server, tls in
            let endpoint = try Endpoint.start(for: server)
            // No Terminate: the session stays open until the endpoint ends it.
            let input = FrontendBytes.startup(user: server.superuser, database: server.database) + FrontendBytes.query(Self.whoQuery)
            async let client = OpenSSLClient.run(
                port: endpoint.port, certificateAuthority: tls.certificateAuthority,
                arguments: ["-alpn", "postgresql"], input: input, waitForServer: true)
            let connections = await endpoint.waitForConnections(1)
            #expect(connections.first?.outcome == .relayed)
            let sessions = { try server.psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()") }
            for _ in 0..<200 {
                if try sessions() == "1" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try sessions() == "1")

            let started = ContinuousClock.now
            try await onOwnThread { endpoint.stop() }
            let run = try await client
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(run.output.contains("relayed:postgres:ssl=false"), "\(run.output)")
            #expect(endpoint.acceptedConnections.count == 1)

            let refused = try await OpenSSLClient.run(port: endpoint.port, certificateAuthority: tls.certificateAuthority)
            #expect(refused.status != 0)
            #expect(refused.output.contains("Connection refused") || refused.output.contains("connect:errno"), "\(refused.output)")
            #expect(endpoint.acceptedConnections.count == 1)
            endpoint.stop()  // a second stop does nothing
        }
    }

    @Test("a server without TLS gets no endpoint")
    func needsTLS() async throws {
        _ = try await TestServer.withRunning { server in
            #expect(throws: TestServerError.self) { try Endpoint.start(for: server) }
        }
    }
}
