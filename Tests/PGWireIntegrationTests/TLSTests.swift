import Foundation
import PGTestServer
import PGWire
import Testing

/// TLS against a private server started with certificates made at test time
/// (`TestServer.Options(tls:)`): every sslmode, certificate checks, client certificates,
/// SCRAM-SHA-256-PLUS and channel_binding, cancel over TLS; and, against the plaintext server
/// of ``Integration`` and a scripted one, what happens without TLS.
@Suite(.serialized) struct TLSTests {
    /// Runs `body` with a TLS server of its own, stopped afterwards.
    static func withTLSServer(expired: Bool = false, _ body: (TestServer, TestServer.TLSSetup) async throws -> Void) async throws {
        let server = try await onOwnThread { try TestServer.start(TestServer.Options(tls: .init(expiredServerCertificate: expired))) }
        do {
            try await body(server, try #require(server.tls))
        } catch {
            try? await onOwnThread { try server.stop() }
            throw error
        }
        try await onOwnThread { try server.stop() }
    }

    static func configuration(
        _ server: TestServer, host: String = "localhost", user: String? = nil, password: String? = nil,
        _ mode: PGConnection.Configuration.TLSMode, root: String? = nil
    ) -> PGConnection.Configuration {
        var configuration = PGConnection.Configuration(
            host: host, port: server.port, user: user ?? server.superuser, password: password, database: server.database)
        configuration.tls.mode = mode
        configuration.tls.rootCertificatePath = root
        return configuration
    }

    /// Whether the server sees this connection as TLS (`pg_stat_ssl`), and its client DN.
    static func sslState(_ connection: PGConnection) async throws -> (ssl: Bool, clientDN: String?) {
        let row = try await connection.query("SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()", []).collect()[0]
        return (try row.decode(Bool.self, at: 0), try row.decode(String?.self, at: 1))
    }

    @Test func everySSLModeAgainstATLSServer() async throws {
        try await Self.withTLSServer { server, tls in
            let expected: [(PGConnection.Configuration.TLSMode, Bool)] = [
                (.disable, false), (.allow, false), (.prefer, true), (.require, true), (.verifyCA, true), (.verifyFull, true),
            ]
            for (mode, encrypted) in expected {
                for host in ["localhost", "127.0.0.1"] {
                    let connection = try await PGConnection.connect(
                        Self.configuration(server, host: host, mode, root: [.verifyCA, .verifyFull].contains(mode) ? tls.certificateAuthority : nil))
                    #expect(try await Self.sslState(connection).ssl == encrypted, "\(mode) to \(host)")
                    await connection.close()
                }
            }
            // A TLS-only role gets in with every mode that tries TLS first.
            let tlsOnly = Self.configuration(server, user: tls.tlsOnlyUser.name, password: tls.tlsOnlyUser.password, .require)
            let connection = try await PGConnection.connect(tlsOnly)
            #expect(try await Self.sslState(connection).ssl)
            await connection.close()
        }
    }

    @Test func modesThatDemandTLSFailAgainstAPlaintextServer() async throws {
        try await Integration.withServer { server in
            for mode in [PGConnection.Configuration.TLSMode.disable, .allow, .prefer] {
                let connection = try await PGConnection.connect(Self.configuration(server, host: server.host, mode))
                #expect(try await Self.sslState(connection).ssl == false)
                await connection.close()
            }
            for mode in [PGConnection.Configuration.TLSMode.require, .verifyCA, .verifyFull] {
                let error = await #expect(throws: PGError.self) {
                    try await PGConnection.connect(Self.configuration(server, host: server.host, mode, root: "/nonexistent-ca.crt"))
                }
                #expect(error?.code == .tlsFailed)
                #expect(error?.message.contains("does not support TLS") == true, "\(error?.message ?? "")")
            }
        }
    }

    @Test func certificateChecksNameWhatFailed() async throws {
        try await Self.withTLSServer { server, tls in
            // Another CA's root: the chain is not trusted.
            let untrusted = await #expect(throws: PGError.self) {
                try await PGConnection.connect(Self.configuration(server, .verifyCA, root: tls.otherCertificateAuthority))
            }
            #expect(untrusted?.code == .tlsFailed)
            #expect(untrusted?.message.contains("certificate") == true, "\(untrusted?.message ?? "")")
            // The right CA but a name the certificate does not hold.
            var wrongHost = Self.configuration(server, host: "wrong.example", .verifyFull, root: tls.certificateAuthority)
            wrongHost.servers[0].hostAddress = "127.0.0.1"
            let mismatch = await #expect(throws: PGError.self) { try await PGConnection.connect(wrongHost) }
            #expect(mismatch?.message.contains("does not match host name") == true, "\(mismatch?.message ?? "")")
            #expect(mismatch?.message.contains("wrong.example") == true)
            // verify-ca does not check the name.
            var anyName = wrongHost
            anyName.tls.mode = .verifyCA
            await (try await PGConnection.connect(anyName)).close()
            // No root certificate for a verifying mode: say what to set.
            let missing = await #expect(throws: PGError.self) { try await PGConnection.connect(Self.configuration(server, .verifyFull)) }
            #expect(missing?.message.contains("sslrootcert") == true)
        }
    }

    @Test func anExpiredServerCertificateFailsVerificationButNotRequire() async throws {
        try await Self.withTLSServer(expired: true) { server, tls in
            let expired = await #expect(throws: PGError.self) {
                try await PGConnection.connect(Self.configuration(server, .verifyFull, root: tls.certificateAuthority))
            }
            #expect(expired?.message.contains("expired") == true, "\(expired?.message ?? "")")
            // require checks nothing without a root certificate (libpq's rule).
            let connection = try await PGConnection.connect(Self.configuration(server, .require))
            #expect(try await Self.sslState(connection).ssl)
            await connection.close()
        }
    }

    @Test func clientCertificateLogin() async throws {
        try await Self.withTLSServer { server, tls in
            var configuration = Self.configuration(server, user: tls.certificateUser, .verifyFull, root: tls.certificateAuthority)
            configuration.tls.certificatePath = tls.clientCertificate
            configuration.tls.keyPath = tls.clientKey
            let connection = try await PGConnection.connect(configuration)
            let state = try await Self.sslState(connection)
            #expect(state.ssl && state.clientDN == "/CN=\(tls.certificateUser)")
            await connection.close()
            // Without the certificate the cert-auth role is refused.
            let refused = await #expect(throws: PGError.self) {
                try await PGConnection.connect(Self.configuration(server, user: tls.certificateUser, .verifyFull, root: tls.certificateAuthority))
            }
            #expect(refused?.code == .server)
        }
    }

    @Test func scramPlusBindsToTheCertificate() async throws {
        try await Self.withTLSServer { server, tls in
            var configuration = Self.configuration(
                server, user: tls.tlsOnlyUser.name, password: tls.tlsOnlyUser.password, .verifyFull, root: tls.certificateAuthority)
            let preferred = try await PGConnection.connect(configuration)
            #expect(preferred.authenticationMethod == .scramSHA256Plus)
            await preferred.close()
            configuration.channelBinding = .require
            let required = try await PGConnection.connect(configuration)
            #expect(required.authenticationMethod == .scramSHA256Plus)
            await required.close()
            configuration.channelBinding = .disable
            let unbound = try await PGConnection.connect(configuration)
            #expect(unbound.authenticationMethod == .scramSHA256)
            await unbound.close()
            // channel_binding=require refuses a trust login (no binding is possible there).
            var trust = Self.configuration(server, .require)
            trust.channelBinding = .require
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(trust) }
            #expect(error?.code == .authentication)
            #expect(error?.message.contains("channel_binding=require") == true)
        }
    }

    @Test func channelBindingRequireWithoutTLSFails() async throws {
        try await Integration.withServer { server in
            var configuration = PGConnection.Configuration(
                host: server.host, port: server.port, user: server.user(.scramSHA256).name,
                password: server.user(.scramSHA256).password, database: server.database)
            configuration.channelBinding = .require
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .authentication)
            #expect(error?.message.contains("does not use TLS") == true, "\(error?.message ?? "")")
        }
    }

    @Test func cancelWorksOverTLS() async throws {
        try await Self.withTLSServer { server, tls in
            var configuration = Self.configuration(server, .verifyFull, root: tls.certificateAuthority)
            configuration.queryTimeout = .milliseconds(300)
            let connection = try await PGConnection.connect(configuration)
            let error = await #expect(throws: PGError.self) { try await connection.query("SELECT pg_sleep(30)", []).collect() }
            #expect(error?.code == .timeout)
            #expect(error?.sqlState == "57014")
            // Still usable, still encrypted.
            #expect(try await Self.sslState(connection).ssl)
            await connection.close()
        }
    }

    /// CVE-2021-23222: bytes the server (or someone in between) sends after `S` and before the
    /// handshake are refused, not taken as TLS or as the server's answer.
    @Test func bytesAfterTheSAreRefused() async throws {
        let injected = Array("S".utf8) + BackendBytes.trustHandshake
        try await withScriptedServer({ _ in [.readSSLRequest, .send(injected), .pause(.seconds(5))] }) { server in
            var configuration = PGConnection.Configuration(host: "127.0.0.1", port: server.port, user: "fake")
            configuration.tls.mode = .require
            configuration.connectTimeout = .seconds(10)
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .tlsFailed)
            #expect(error?.message.contains("CVE-2021-23222") == true, "\(error?.message ?? "")")
        }
    }

    /// An answer to SSLRequest that is neither S, N nor E is a protocol violation.
    @Test func aMalformedAnswerIsAProtocolViolation() async throws {
        try await withScriptedServer({ _ in [.readSSLRequest, .send(Array("X".utf8)), .pause(.seconds(5))] }) { server in
            let configuration = PGConnection.Configuration(host: "127.0.0.1", port: server.port, user: "fake")
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .protocolViolation)
        }
    }
}

extension Integration {
    /// Runs `body` with a plaintext server of its own (the suites outside ``Integration`` have none).
    static func withServer(_ body: (TestServer) async throws -> Void) async throws {
        let server = try await onOwnThread { try TestServer.start() }
        do {
            try await body(server)
        } catch {
            try? await onOwnThread { try server.stop() }
            throw error
        }
        try await onOwnThread { try server.stop() }
    }
}
