import Foundation
import Testing

import PGTestServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The TLS setup of ``TestServer/Options/tls``, checked with libpq (`psql`) as the client.
@Suite("TestServer with TLS", .serialized)
struct TLSTests {
    static let sslQuery = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

    @Test("a TLS server proves itself as localhost, 127.0.0.1 and ::1 to a client trusting its CA")
    func verifyFull() async throws {
        let server = try await onOwnThread { try TestServer.start(.init(tls: .init())) }
        defer { try? server.stop() }
        let tls = try #require(server.tls)
        #expect(try server.psql("SHOW ssl") == "on")
        #expect(try server.psql("SELECT count(*) FILTER (WHERE error IS NOT NULL) FROM pg_hba_file_rules") == "0")

        let scram = server.user(.scramSHA256)
        var hosts = ["localhost", "127.0.0.1"]
        if hasIPv6Loopback() { hosts.append("::1") }
        for host in hosts {
            let options = ["host": host, "sslmode": "verify-full", "sslrootcert": tls.certificateAuthority]
            #expect(try server.psql(Self.sslQuery, user: scram.name, password: scram.password, options: options) == "t", "\(host)")
        }
        // Channel binding needs TLS: SCRAM-SHA-256-PLUS.
        let bound = ["sslmode": "verify-full", "sslrootcert": tls.certificateAuthority, "host": "localhost", "channel_binding": "require"]
        #expect(try server.psql("SELECT current_user", user: scram.name, password: scram.password, options: bound) == "pgw_scram")
        // The test users still log in without TLS.
        #expect(try server.psql(Self.sslQuery, user: scram.name, password: scram.password, options: ["sslmode": "disable"]) == "f")
    }

    @Test("the files are where TLSSetup says, keys private to the server's user")
    func files() async throws {
        let server = try await onOwnThread { try TestServer.start(.init(tls: .init())) }
        defer { try? server.stop() }
        let tls = try #require(server.tls)
        #expect(tls.directory == server.dataDirectory + "/tls")
        #expect(tls.presentedServerCertificate == tls.serverCertificate)
        #expect(try server.psql("SHOW ssl_cert_file") == tls.serverCertificate)
        #expect(try server.psql("SHOW ssl_key_file") == tls.serverKey)
        #expect(try server.psql("SHOW ssl_ca_file") == tls.certificateAuthority)
        let serverUser = try #require(getpwnam("postgres")).pointee.pw_uid
        for key in [tls.serverKey, tls.clientKey] {
            var info = stat()
            try #require(stat(key, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "\(key)")
            #expect(info.st_uid == (geteuid() == 0 ? serverUser : geteuid()), "\(key)")
        }
        for certificate in [
            tls.certificateAuthority, tls.otherCertificateAuthority, tls.serverCertificate, tls.expiredServerCertificate,
            tls.clientCertificate, tls.expiredClientCertificate, tls.otherCAClientCertificate,
        ] {
            let text = try String(contentsOfFile: certificate, encoding: .utf8)
            #expect(text.hasPrefix("-----BEGIN CERTIFICATE-----"), "\(certificate)")
        }
    }

    @Test("the certificate user logs in with its client certificate and no password, not with a bad one")
    func certificateLogin() async throws {
        let server = try await onOwnThread { try TestServer.start(.init(tls: .init())) }
        defer { try? server.stop() }
        let tls = try #require(server.tls)
        let trusting = ["host": "localhost", "sslmode": "verify-full", "sslrootcert": tls.certificateAuthority]
        func login(certificate: String?) throws -> String {
            var options = trusting
            // An empty sslcert keeps libpq from looking for ~/.postgresql/postgresql.crt.
            options["sslcert"] = certificate ?? ""
            options["sslkey"] = certificate == nil ? "" : tls.clientKey
            return try server.psql("SELECT current_user, ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()", user: tls.certificateUser, options: options)
        }
        #expect(try login(certificate: tls.clientCertificate) == "pgw_cert|t|/CN=pgw_cert")

        let none = refusal { try login(certificate: nil) }
        #expect(none.contains("connection requires a valid client certificate"), "\(none)")
        // The server ends the handshake with a TLS alert naming the fault.
        for (bad, alert) in [(tls.expiredClientCertificate, "certificate expired"), (tls.otherCAClientCertificate, "unknown ca")] {
            let output = refusal { try login(certificate: bad) }
            #expect(output.contains(alert), "\(bad): \(output)")
        }
        let plain = refusal { try server.psql("SELECT 1", user: tls.certificateUser, options: ["sslmode": "disable"]) }
        #expect(plain.contains("pg_hba.conf rejects connection") && plain.contains("no encryption"), "\(plain)")
    }

    @Test("the TLS-only role is refused without TLS, the plain-only role with it")
    func transportOnlyRoles() async throws {
        let server = try await onOwnThread { try TestServer.start(.init(tls: .init())) }
        defer { try? server.stop() }
        let tls = try #require(server.tls)
        let tlsOnly = tls.tlsOnlyUser
        let plainOnly = tls.plainOnlyUser
        #expect(try server.psql(Self.sslQuery, user: tlsOnly.name, password: tlsOnly.password, options: ["sslmode": "require"]) == "t")
        #expect(try server.psql(Self.sslQuery, user: tlsOnly.name, password: tlsOnly.password, options: ["sslmode": "allow"]) == "t")
        let disabled = refusal {
            try server.psql("SELECT 1", user: tlsOnly.name, password: tlsOnly.password, options: ["sslmode": "disable"])
        }
        #expect(disabled.contains("pg_hba.conf rejects connection") && disabled.contains("no encryption"), "\(disabled)")

        #expect(try server.psql(Self.sslQuery, user: plainOnly.name, password: plainOnly.password, options: ["sslmode": "disable"]) == "f")
        #expect(try server.psql(Self.sslQuery, user: plainOnly.name, password: plainOnly.password, options: ["sslmode": "prefer"]) == "f")
        let required = refusal {
            try server.psql("SELECT 1", user: plainOnly.name, password: plainOnly.password, options: ["sslmode": "require"])
        }
        #expect(required.contains("pg_hba.conf rejects connection") && required.contains("SSL encryption"), "\(required)")
    }

    @Test("a client trusting only the other CA refuses the server; an expired server certificate fails verification")
    func untrustedServer() async throws {
        let server = try await onOwnThread { try TestServer.start(.init(tls: .init())) }
        defer { try? server.stop() }
        let tls = try #require(server.tls)
        let scram = server.user(.scramSHA256)
        for mode in ["verify-ca", "verify-full"] {
            let options = ["host": "localhost", "sslmode": mode, "sslrootcert": tls.otherCertificateAuthority]
            let output = refusal { try server.psql("SELECT 1", user: scram.name, password: scram.password, options: options) }
            #expect(output.contains("certificate verify failed"), "\(mode): \(output)")
        }
        try server.stop()

        let expired = try await onOwnThread { try TestServer.start(.init(tls: .init(expiredServerCertificate: true))) }
        defer { try? expired.stop() }
        let expiredTLS = try #require(expired.tls)
        #expect(expiredTLS.presentedServerCertificate == expiredTLS.expiredServerCertificate)
        #expect(try expired.psql("SHOW ssl_cert_file") == expiredTLS.expiredServerCertificate)
        let options = ["host": "localhost", "sslmode": "verify-full", "sslrootcert": expiredTLS.certificateAuthority]
        let output = refusal { try expired.psql("SELECT 1", user: scram.name, password: scram.password, options: options) }
        #expect(output.contains("certificate verify failed"), "\(output)")
        // Without verification the expired certificate still carries TLS.
        #expect(try expired.psql(Self.sslQuery, user: scram.name, password: scram.password, options: ["sslmode": "require"]) == "t")
    }

    @Test("a server without Options.tls has no TLS, and no TLS roles")
    func offByDefault() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        defer { try? server.stop() }
        #expect(server.tls == nil)
        #expect(try server.psql("SHOW ssl") == "off")
        #expect(!FileManager.default.fileExists(atPath: server.dataDirectory + "/tls"))
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname IN ('pgw_tls', 'pgw_notls', 'pgw_cert')") == "0")
        let scram = server.user(.scramSHA256)
        let output = refusal { try server.psql("SELECT 1", user: scram.name, password: scram.password, options: ["sslmode": "require"]) }
        #expect(output.contains("server does not support SSL"), "\(output)")
    }
}

/// What a refused `psql` printed; fails the test if it was not refused.
private func refusal(_ body: () throws -> String) -> String {
    do {
        let output = try body()
        Issue.record("expected a refusal, got \(output)")
        return output
    } catch let error as TestServerError {
        return error.output
    } catch {
        Issue.record("unexpected error \(error)")
        return "\(error)"
    }
}
