import Foundation
@testable import PGWire
import Testing

/// libpq's TLS keywords beyond sslmode: protocol versions, direct negotiation, the key's
/// passphrase, sslcertmode, the `~/.postgresql/` defaults, and what is refused.
@Suite struct TLSSettingsTests {
    typealias TLS = PGConnection.Configuration.TLS

    @Test func protocolVersionsFollowLibpqWithTLS12AsTheFloor() throws {
        #expect(try ConfigurationFixture.configuration("host=h").tls.minimumProtocolVersion == .tls1_2)
        #expect(try ConfigurationFixture.configuration("host=h").tls.maximumProtocolVersion == nil)
        let tls = try ConfigurationFixture.configuration("ssl_min_protocol_version=tlsv1.1 ssl_max_protocol_version=TLSv1.3").tls
        #expect(tls.minimumProtocolVersion == .tls1_1 && tls.maximumProtocolVersion == .tls1_3)
        let fromEnvironment = try ConfigurationFixture.configuration("", environment: ["PGSSLMAXPROTOCOLVERSION": "TLSv1.2"]).tls
        #expect(fromEnvironment.maximumProtocolVersion == .tls1_2)
        let empty = ConfigurationFixture.failure("ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2")
        #expect(empty?.contains("invalid SSL protocol version range") == true, "\(empty ?? "")")
        // The default floor counts too: a maximum below TLS 1.2 alone is an empty range.
        #expect(ConfigurationFixture.failure("ssl_max_protocol_version=TLSv1.1")?.contains("range") == true)
        #expect(ConfigurationFixture.failure("ssl_min_protocol_version=SSLv3")?.contains("ssl_min_protocol_version") == true)
    }

    @Test func directNegotiationNeedsAModeThatDoesNotFallBack() throws {
        #expect(try ConfigurationFixture.configuration("sslnegotiation=direct sslmode=require").tls.negotiation == .direct)
        #expect(try ConfigurationFixture.configuration("sslmode=require").tls.negotiation == .postgres)
        // A configuration built in code is held to the same rule when it connects.
        var configuration = PGConnection.Configuration(user: "u")
        configuration.tls.negotiation = .direct
        #expect(throws: PGError.self) { try configuration.validate() }
        configuration.tls.mode = .verifyFull
        try configuration.validate()
        configuration.tls.minimumProtocolVersion = .tls1_3
        configuration.tls.maximumProtocolVersion = .tls1_2
        #expect(throws: PGError.self) { try configuration.validate() }
    }

    @Test func theKeyPassphraseIsKeptButNeverShown() throws {
        let tls = try ConfigurationFixture.configuration("sslcert=/c.pem sslkey=/k.pem sslpassword=s3cr3t").tls
        #expect(tls.keyPassword == "s3cr3t")
        #expect(!tls.description.contains("s3cr3t") && tls.description.contains("sslpassword=********"))
        #expect(ConnectionKeyword.isSecret("sslpassword"))
    }

    @Test func sslcertmodeDisableSendsNoCertificateAndRequireIsRefused() throws {
        let tls = try ConfigurationFixture.configuration("sslcert=/c.pem sslkey=/k.pem sslcertmode=disable").tls
        #expect(tls.certificatePath == nil && tls.keyPath == nil)
        #expect(try ConfigurationFixture.configuration("sslcert=/c.pem sslcertmode=allow").tls.certificatePath == "/c.pem")
        #expect(ConfigurationFixture.failure("sslcertmode=require")?.contains("sslcertmode=require") == true)
        #expect(ConfigurationFixture.failure("sslkeylogfile=/tmp/keys")?.contains("sslkeylogfile") == true)
        #expect(try ConfigurationFixture.configuration("sslcrldir=/crls").tls.revocationListDirectory == "/crls")
    }

    @Test func filesInDotPostgresqlAreTheDefaultsWhenTheyExist() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pgwire-home-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let folder = home + "/.postgresql"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let environment = ["HOME": home]

        // Nothing there yet: nothing is filled in.
        let bare = try ConfigurationFixture.configuration("host=h", environment: environment).tls
        #expect(bare.rootCertificatePath == nil && bare.certificatePath == nil && bare.keyPath == nil && bare.revocationListPath == nil)

        for name in ["root.crt", "root.crl", "postgresql.crt", "postgresql.key"] {
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8)))
        }
        let defaults = try ConfigurationFixture.configuration("host=h sslmode=verify-full", environment: environment).tls
        #expect(defaults.rootCertificatePath == folder + "/root.crt")
        #expect(defaults.revocationListPath == folder + "/root.crl")
        #expect(defaults.certificatePath == folder + "/postgresql.crt")
        #expect(defaults.keyPath == folder + "/postgresql.key")
        // A root certificate, even a default one, makes require check the chain (libpq's rule).
        #expect(defaults.verifiesChain)

        // What the string names wins over each default.
        let explicit = try ConfigurationFixture.configuration(
            "host=h sslrootcert=/ca.pem sslcert=/c.pem sslkey=/k.pem sslcrl=/crl.pem", environment: environment).tls
        #expect(explicit == .init(mode: .prefer, rootCertificatePath: "/ca.pem", certificatePath: "/c.pem", keyPath: "/k.pem",
                                  revocationListPath: "/crl.pem"))
        // A revocation folder replaces the default list, as in libpq.
        let byFolder = try ConfigurationFixture.configuration("host=h sslcrldir=/crls", environment: environment).tls
        #expect(byFolder.revocationListPath == nil && byFolder.revocationListDirectory == "/crls")
        // The default revocation list belongs to a root certificate file, not to the system's store.
        let system = try ConfigurationFixture.configuration("host=h sslrootcert=system", environment: environment).tls
        #expect(system.revocationListPath == nil)
        // A configuration built in code takes no defaults.
        #expect(PGConnection.Configuration(user: "u").tls == TLS())
    }
}
