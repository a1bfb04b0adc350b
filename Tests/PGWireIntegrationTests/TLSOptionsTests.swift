import Foundation
import PGTestServer
import PGWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The TLS settings beyond sslmode against a real TLS server: allow's retry over TLS, protocol
/// versions, encrypted client keys and their permissions, the `~/.postgresql/` defaults, the
/// names a wrong-host error lists, and direct TLS refused by PostgreSQL 15.
@Suite(.serialized) struct TLSOptionsTests {
    typealias Configuration = PGConnection.Configuration

    /// The TLS version the server sees for this connection (`pg_stat_ssl.version`).
    static func serverTLSVersion(_ connection: PGConnection) async throws -> String? {
        try await connection.query("SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", []).collect()[0].decode(String?.self, at: 0)
    }

    /// verify-full as the `cert`-auth role, with the test client certificate and `key`.
    static func certificateLogin(_ server: TestServer, _ tls: TestServer.TLSSetup, key: String) -> Configuration {
        var configuration = TLSTests.configuration(server, user: tls.certificateUser, .verifyFull, root: tls.certificateAuthority)
        configuration.tls.certificatePath = tls.clientCertificate
        configuration.tls.keyPath = key
        return configuration
    }

    /// A private folder for files a test makes, removed afterwards.
    static func withFolder(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgwire-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await body(folder)
    }

    /// Copies `source` to `target` with `mode`.
    static func copy(_ source: String, to target: String, mode: mode_t = 0o600) throws {
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        #expect(chmod(target, mode) == 0)
    }

    /// Runs the `openssl` tool, failing the test if it fails.
    static func openssl(_ arguments: [String]) throws {
        let process = try ChildProcess(["/usr/bin/env", "openssl"] + arguments, stdout: .null, stderr: .null)
        #expect(process.waitForExit().status == 0, "openssl \(arguments.joined(separator: " "))")
    }

    @Test func allowTriesTLSWhenThePlaintextLoginIsRefused() async throws {
        try await TLSTests.withTLSServer { server, tls in
            // pg_hba.conf lets pgw_tls in over TLS only: plaintext first, refused, then TLS.
            let tlsOnly = TLSTests.configuration(server, user: tls.tlsOnlyUser.name, password: tls.tlsOnlyUser.password, .allow)
            let connection = try await PGConnection.connect(tlsOnly)
            #expect(try await TLSTests.sslState(connection).ssl)
            #expect(connection.tlsInfo != nil)
            await connection.close()
            // pgw_notls gets in at the first, plaintext, try.
            let plainOnly = TLSTests.configuration(server, user: tls.plainOnlyUser.name, password: tls.plainOnlyUser.password, .allow)
            let plain = try await PGConnection.connect(plainOnly)
            #expect(try await TLSTests.sslState(plain).ssl == false)
            #expect(plain.tlsInfo == nil)
            await plain.close()
            // A wrong password is refused both ways, and the error is the server's.
            let wrong = TLSTests.configuration(server, user: tls.tlsOnlyUser.name, password: "wrong", .allow)
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(wrong) }
            #expect(error?.code == .server && error?.sqlState == "28P01", "\(String(describing: error))")
        }
    }

    @Test func protocolVersionBoundsReachTheHandshake() async throws {
        try await TLSTests.withTLSServer { server, tls in
            var capped = TLSTests.configuration(server, .verifyFull, root: tls.certificateAuthority)
            capped.tls.maximumProtocolVersion = .tls1_2
            let old = try await PGConnection.connect(capped)
            #expect(old.tlsInfo?.protocolVersion == "TLSv1.2")
            #expect(try await Self.serverTLSVersion(old) == "TLSv1.2")
            await old.close()

            var floor = TLSTests.configuration(server, .verifyFull, root: tls.certificateAuthority)
            floor.tls.minimumProtocolVersion = .tls1_3
            let new = try await PGConnection.connect(floor)
            #expect(new.tlsInfo?.protocolVersion == "TLSv1.3")
            #expect(try await Self.serverTLSVersion(new) == "TLSv1.3")
            #expect(new.tlsInfo?.cipher.isEmpty == false)
            // PostgreSQL 15 selects no ALPN protocol.
            #expect(new.tlsInfo?.applicationProtocol == nil)
            await new.close()

            // The server's floor is TLS 1.2 (ssl_min_protocol_version's default): no common version.
            var tooOld = TLSTests.configuration(server, .require)
            tooOld.tls.minimumProtocolVersion = .tls1
            tooOld.tls.maximumProtocolVersion = .tls1_1
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(tooOld) }
            #expect(error?.code == .tlsFailed, "\(String(describing: error))")
        }
    }

    @Test func anEncryptedClientKeyNeedsItsPassphrase() async throws {
        try await TLSTests.withTLSServer { server, tls in
            try await Self.withFolder { folder in
                let key = folder + "/encrypted.key"
                try Self.openssl(["pkey", "-in", tls.clientKey, "-aes256", "-passout", "pass:open sesame", "-out", key])
                #expect(chmod(key, 0o600) == 0)
                var configuration = Self.certificateLogin(server, tls, key: key)

                let missing = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
                #expect(missing?.code == .tlsFailed)
                #expect(missing?.message.contains("no sslpassword was given") == true, "\(missing?.message ?? "")")

                configuration.tls.keyPassword = "wrong"
                let wrong = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
                #expect(wrong?.message.contains("sslpassword does not decrypt it") == true, "\(wrong?.message ?? "")")

                configuration.tls.keyPassword = "open sesame"
                let connection = try await PGConnection.connect(configuration)
                #expect(try await TLSTests.sslState(connection).clientDN == "/CN=\(tls.certificateUser)")
                await connection.close()

                // The same through a connection string's sslpassword.
                let string = "host=localhost port=\(server.port) dbname=\(server.database) user=\(tls.certificateUser) "
                    + "sslmode=verify-full sslrootcert=\(tls.certificateAuthority) sslcert=\(tls.clientCertificate) "
                    + "sslkey=\(key) sslpassword='open sesame'"
                let fromString = try await PGConnection.connect(try Configuration(connectionString: string, environment: [:]))
                #expect(try await TLSTests.sslState(fromString).ssl)
                await fromString.close()
            }
        }
    }

    @Test func aClientKeyOthersCanReadIsRefusedAsLibpqDoes() async throws {
        try await TLSTests.withTLSServer { server, tls in
            try await Self.withFolder { folder in
                let key = folder + "/open.key"
                try Self.copy(tls.clientKey, to: key, mode: 0o644)
                let configuration = Self.certificateLogin(server, tls, key: key)
                let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
                #expect(error?.code == .tlsFailed)
                #expect(error?.message.contains("group or world access") == true, "\(error?.message ?? "")")
                #expect(chmod(key, 0o600) == 0)
                await (try await PGConnection.connect(configuration)).close()
            }
        }
    }

    @Test func dotPostgresqlSuppliesRootCertificateAndClientCertificate() async throws {
        try await TLSTests.withTLSServer { server, tls in
            try await Self.withFolder { home in
                let folder = home + "/.postgresql"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let string = "host=localhost port=\(server.port) dbname=\(server.database) user=\(tls.certificateUser) sslmode=verify-full"
                // No root.crt yet: verify-full says where it looked.
                let missing = await #expect(throws: PGError.self) {
                    try await PGConnection.connect(try Configuration(connectionString: string, environment: ["HOME": home]))
                }
                #expect(missing?.message.contains(".postgresql/root.crt") == true, "\(missing?.message ?? "")")

                try Self.copy(tls.certificateAuthority, to: folder + "/root.crt", mode: 0o644)
                try Self.copy(tls.clientCertificate, to: folder + "/postgresql.crt", mode: 0o644)
                try Self.copy(tls.clientKey, to: folder + "/postgresql.key")
                let connection = try await PGConnection.connect(try Configuration(connectionString: string, environment: ["HOME": home]))
                #expect(try await TLSTests.sslState(connection).clientDN == "/CN=\(tls.certificateUser)")
                await connection.close()

                // libpq's rule: a root certificate makes require check the chain, so another CA's
                // root.crt refuses the server even under require.
                try Self.copy(tls.otherCertificateAuthority, to: folder + "/root.crt", mode: 0o644)
                let require = "host=localhost port=\(server.port) dbname=\(server.database) user=\(server.superuser) sslmode=require"
                let untrusted = await #expect(throws: PGError.self) {
                    try await PGConnection.connect(try Configuration(connectionString: require, environment: ["HOME": home]))
                }
                #expect(untrusted?.code == .tlsFailed, "\(String(describing: untrusted))")
            }
        }
    }

    @Test func aWrongHostErrorListsTheNamesTheCertificateHolds() async throws {
        try await TLSTests.withTLSServer { server, tls in
            var wrongHost = TLSTests.configuration(server, host: "db.wrong.example", .verifyFull, root: tls.certificateAuthority)
            wrongHost.servers[0].hostAddress = "127.0.0.1"
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(wrongHost) }
            #expect(error?.code == .tlsFailed)
            let message = error?.message ?? ""
            #expect(message.contains("\"db.wrong.example\""), "\(message)")
            #expect(message.contains("\"localhost\"") && message.contains("\"127.0.0.1\"") && message.contains("\"::1\""), "\(message)")
            // An address is checked against the IP entries: ::1 is one of them.
            let ipv6 = TLSTests.configuration(server, host: "::1", .verifyFull, root: tls.certificateAuthority)
            if let connection = try? await PGConnection.connect(ipv6) {  // the host may have no IPv6 loopback
                #expect(connection.tlsInfo != nil)
                await connection.close()
            }
        }
    }

    @Test func directTLSToPostgreSQL15FailsClearly() async throws {
        try await TLSTests.withTLSServer { server, tls in
            var configuration = TLSTests.configuration(server, .verifyFull, root: tls.certificateAuthority)
            configuration.tls.negotiation = .direct
            configuration.connectTimeout = .seconds(10)
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .tlsFailed, "\(String(describing: error))")
            #expect(error?.message.contains("PostgreSQL 17") == true, "\(error?.message ?? "")")
        }
    }

    @Test func requireAuthAndChannelBindingMustBothHold() async throws {
        try await TLSTests.withTLSServer { server, tls in
            func attempt(_ method: TestServer.AuthMethod, requireAuth: String, binding: Configuration.ChannelBinding) async throws -> PGConnection {
                let user = server.user(method)
                var configuration = TLSTests.configuration(
                    server, user: user.name, password: user.password, .verifyFull, root: tls.certificateAuthority)
                configuration.requireAuth = try Configuration.AuthenticationRequirement(libpq: requireAuth)
                configuration.channelBinding = binding
                return try await PGConnection.connect(configuration)
            }
            // Both allow SCRAM with binding: the PLUS mechanism.
            let bound = try await attempt(.scramSHA256, requireAuth: "scram-sha-256", binding: .require)
            #expect(bound.authenticationMethod == .scramSHA256Plus)
            await bound.close()
            // require_auth allows the cleartext password, channel_binding=require does not.
            let cleartext = await #expect(throws: PGError.self) { try await attempt(.password, requireAuth: "password", binding: .require) }
            #expect(cleartext?.code == .authentication && cleartext?.message.contains("channel_binding") == true,
                    "\(cleartext?.message ?? "")")
            // channel_binding would bind, but require_auth forbids SCRAM.
            let forbidden = await #expect(throws: PGError.self) { try await attempt(.scramSHA256, requireAuth: "!scram-sha-256", binding: .require) }
            #expect(forbidden?.code == .authentication && forbidden?.message.contains("requirement \"!scram-sha-256\" failed") == true,
                    "\(forbidden?.message ?? "")")
            // trust passes require_auth=none but not channel_binding=require.
            let trust = await #expect(throws: PGError.self) { try await attempt(.trust, requireAuth: "none", binding: .require) }
            #expect(trust?.code == .authentication && trust?.message.contains("channel_binding") == true, "\(trust?.message ?? "")")
        }
    }

    /// A revocation list from the test CA (`openssl ca -gencrl`), revoking `revoked` if given.
    static func revocationList(_ tls: TestServer.TLSSetup, revoking revoked: String?, in folder: String) throws -> String {
        let configuration = folder + "/ca.cnf"
        try "[ca]\ndefault_ca = test\n[test]\ndatabase = \(folder)/index.txt\ndefault_md = sha256\ndefault_crl_days = 30\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: folder + "/index.txt", contents: Data()))
        let authority = ["-config", configuration, "-keyfile", tls.directory + "/ca.key", "-cert", tls.certificateAuthority]
        if let revoked { try openssl(["ca"] + authority + ["-revoke", revoked]) }
        let list = folder + "/crl.pem"
        try openssl(["ca"] + authority + ["-gencrl", "-out", list])
        return list
    }

    @Test func aRevokedServerCertificateIsRefusedByFileAndByFolder() async throws {
        try await TLSTests.withTLSServer { server, tls in
            try await Self.withFolder { folder in
                // A list that revokes nothing lets the server in.
                try FileManager.default.createDirectory(atPath: folder + "/clean", withIntermediateDirectories: true)
                var configuration = TLSTests.configuration(server, .verifyFull, root: tls.certificateAuthority)
                configuration.tls.revocationListPath = try Self.revocationList(tls, revoking: nil, in: folder + "/clean")
                await (try await PGConnection.connect(configuration)).close()

                try FileManager.default.createDirectory(atPath: folder + "/revoked", withIntermediateDirectories: true)
                configuration.tls.revocationListPath = try Self.revocationList(tls, revoking: tls.serverCertificate, in: folder + "/revoked")
                let byFile = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
                #expect(byFile?.code == .tlsFailed && byFile?.message.contains("revoked") == true, "\(byFile?.message ?? "")")

                // sslcrldir: the same list in a folder named by hash (`openssl rehash`).
                let hashed = folder + "/hashed"
                try FileManager.default.createDirectory(atPath: hashed, withIntermediateDirectories: true)
                try Self.copy(folder + "/revoked/crl.pem", to: hashed + "/crl.pem", mode: 0o644)
                try Self.openssl(["rehash", hashed])
                configuration.tls.revocationListPath = nil
                configuration.tls.revocationListDirectory = hashed
                let byFolder = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
                #expect(byFolder?.message.contains("revoked") == true, "\(byFolder?.message ?? "")")
            }
        }
    }

    /// OpenSSL's own socket writes would raise SIGPIPE on a connection the server closed,
    /// killing this process; PGWire's TLS writes must fail like plaintext ones instead.
    @Test func writingToATLSConnectionTheServerClosedIsAnErrorNotASignal() async throws {
        try await TLSTests.withTLSServer { server, tls in
            let victim = try await PGConnection.connect(TLSTests.configuration(server, .verifyFull, root: tls.certificateAuthority))
            let pid = try #require(victim.processID)
            let killer = try await PGConnection.connect(TLSTests.configuration(server, .require))
            _ = try await killer.query("SELECT pg_terminate_backend($1)", [pid]).collect()
            await killer.close()
            try await Task.sleep(for: .milliseconds(200))
            // A write larger than the socket's buffers: the server's reset arrives while it is
            // under way, and the sends after it meet EPIPE.
            let large = String(repeating: "x", count: 16 << 20)
            for _ in 0..<2 {
                let error = await #expect(throws: PGError.self) { try await victim.query("SELECT length($1)", [large]).collect() }
                #expect([.serverClosedConnection, .closed, .server].contains(error?.code), "\(String(describing: error))")
            }
            await victim.close()
        }
    }
}
