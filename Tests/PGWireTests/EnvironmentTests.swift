import Foundation
@testable import PGWire
import Testing

@Suite struct EnvironmentTests {
    typealias Server = PGConnection.Configuration.Server

    @Test func everyMappedVariableReachesTheConfiguration() throws {
        let environment = [
            "PGHOST": "db.example", "PGHOSTADDR": "10.1.2.3", "PGPORT": "6543", "PGDATABASE": "events",
            "PGUSER": "alice", "PGPASSWORD": "secret", "PGAPPNAME": "worker", "PGCONNECT_TIMEOUT": "15",
            "PGSSLMODE": "verify-full", "PGSSLCERT": "/c.pem", "PGSSLKEY": "/k.pem", "PGSSLROOTCERT": "/ca.pem",
            "PGSSLCRL": "/crl.pem", "PGSSLSNI": "0", "PGTARGETSESSIONATTRS": "standby", "PGOPTIONS": "-c work_mem=64MB",
        ]
        let configuration = try ConfigurationFixture.configuration("", environment: environment)
        #expect(configuration.servers == [Server(host: "db.example", port: 6543, hostAddress: "10.1.2.3")])
        #expect(configuration.database == "events")
        #expect(configuration.user == "alice")
        #expect(configuration.password == "secret")
        #expect(configuration.applicationName == "worker")
        #expect(configuration.connectTimeout == .seconds(15))
        #expect(configuration.tls == .init(mode: .verifyFull, rootCertificatePath: "/ca.pem", certificatePath: "/c.pem",
                                           keyPath: "/k.pem", revocationListPath: "/crl.pem", serverNameIndication: false))
        #expect(configuration.targetSessionAttributes == .standby)
        #expect(configuration.options == "-c work_mem=64MB")
    }

    @Test func variablesForSettingsNotUsedYetAreKeptWithTheirSource() throws {
        let environment = [
            "PGCHANNELBINDING": "require", "PGGSSENCMODE": "disable", "PGREQUIREAUTH": "scram-sha-256",
            "PGLOADBALANCEHOSTS": "random", "PGPASSFILE": "/nonexistent/pgpass", "PGCLIENTENCODING": "UTF8",
        ]
        let settings = try ConfigurationFixture.settings("", environment: environment)
        #expect(settings.value(for: "channel_binding") == "require")
        #expect(settings.source(for: "channel_binding") == .environment(variable: "PGCHANNELBINDING"))
        #expect(settings.value(for: "gssencmode") == "disable")
        #expect(settings.value(for: "require_auth") == "scram-sha-256")
        #expect(settings.value(for: "load_balance_hosts") == "random")
        #expect(settings.value(for: "client_encoding") == "UTF8")
        #expect(settings.passwordFile == "/nonexistent/pgpass")
    }

    @Test func theConnectionStringBeatsTheEnvironment() throws {
        let environment = ["PGHOST": "env-host", "PGPORT": "1111", "PGUSER": "env-user", "PGSSLMODE": "require", "PGAPPNAME": "env-app"]
        let settings = try ConfigurationFixture.settings("host=string-host user=string-user sslmode=disable", environment: environment)
        #expect(settings.configuration.servers == [Server(host: "string-host", port: 1111)])
        #expect(settings.configuration.user == "string-user")
        #expect(settings.configuration.tls.mode == .disable)
        #expect(settings.configuration.applicationName == "env-app")
        #expect(settings.source(for: "host") == .connectionString)
        #expect(settings.source(for: "port") == .environment(variable: "PGPORT"))
    }

    @Test func anExplicitEmptyValueHidesTheEnvironmentAndMeansTheDefault() throws {
        let configuration = try ConfigurationFixture.configuration("host=''", environment: ["PGHOST": "env-host"])
        #expect(configuration.host == "/var/run/postgresql")
    }

    @Test func anEmptyVariableCountsAsUnset() throws {
        let configuration = try ConfigurationFixture.configuration("", environment: ["PGHOST": "", "PGSSLMODE": "", "PGPORT": ""])
        #expect(configuration.servers == [Server(host: "/var/run/postgresql", port: 5432)])
        #expect(configuration.tls.mode == .prefer)
    }

    @Test func theEnvironmentBeatsTheDefaults() throws {
        let configuration = try ConfigurationFixture.configuration("dbname=app", environment: ["PGUSER": "env-user"])
        #expect(configuration.user == "env-user")
        #expect(configuration.database == "app")
        #expect(try ConfigurationFixture.configuration("", environment: ["PGUSER": "env-user"]).database == "env-user")
    }

    @Test func defaultsFollowLibpqOnDebian() throws {
        let configuration = try ConfigurationFixture.configuration("")
        #expect(configuration.servers == [Server(host: "/var/run/postgresql", port: 5432)])
        #expect(configuration.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(configuration.user == "osuser")
        #expect(configuration.database == "osuser")
        #expect(configuration.password == nil)
        #expect(configuration.tls.mode == .prefer)
        #expect(configuration.connectTimeout == nil)
        #expect(configuration.targetSessionAttributes == .any)
        #expect(configuration.applicationName == nil)
    }

    @Test func withoutVarRunPostgresqlTheSocketDirectoryIsTmp() throws {
        let settings = try ConfigurationFixture.settings("", socketDirectoryExists: false)
        #expect(settings.configuration.host == "/tmp")
    }

    @Test func withoutAnyUserNameResolutionFails() {
        #expect(throws: PGError.self) { try ConfigurationFixture.settings("", user: nil) }
        #expect(throws: Never.self) { try ConfigurationFixture.settings("", environment: ["PGUSER": "u"], user: nil) }
    }

    @Test func invalidVariablesNameTheVariableAndTheKeyword() {
        let sslmode = ConfigurationFixture.failure("", environment: ["PGSSLMODE": "bogus"])
        #expect(sslmode?.contains("PGSSLMODE") == true)
        #expect(sslmode?.contains("\"sslmode\"") == true)
        #expect(sslmode?.contains("\"bogus\"") == true)
        #expect(ConfigurationFixture.failure("", environment: ["PGPORT": "x"])?.contains("PGPORT") == true)
        #expect(ConfigurationFixture.failure("", environment: ["PGCLIENTENCODING": "LATIN1"])?.contains("PGWire always uses UTF8") == true)
        #expect(ConfigurationFixture.failure("", environment: ["PGGSSENCMODE": "require"])?.contains("PGGSSENCMODE") == true)
        #expect(ConfigurationFixture.failure("", environment: ["PGSERVICE": "mydb"])?.contains("\"service\"") == true)
        #expect(ConfigurationFixture.failure("", environment: ["PGTARGETSESSIONATTRS": "master"])?.contains("PGTARGETSESSIONATTRS") == true)
    }

    @Test func anInvalidVariableIsHarmlessWhenTheStringSetsTheKeyword() {
        #expect(ConfigurationFixture.failure("sslmode=disable", environment: ["PGSSLMODE": "bogus"]) == nil)
    }

    @Test func severalHostsFromTheEnvironment() throws {
        let configuration = try ConfigurationFixture.configuration("", environment: ["PGHOST": "a,b", "PGPORT": "1,2"])
        #expect(configuration.servers == [Server(host: "a", port: 1), Server(host: "b", port: 2)])
        #expect(ConfigurationFixture.failure("", environment: ["PGHOST": "a,b", "PGPORT": "1,2,3"]) == "could not match 3 port numbers to 2 hosts")
    }

    @Test func rulesAcrossSourcesApply() {
        #expect(ConfigurationFixture.failure("sslmode=require", environment: ["PGSSLROOTCERT": "system"])?.contains("weak sslmode") == true)
    }

    @Test func publicEntryPointsUseTheGivenEnvironment() throws {
        let environment = ["PGHOST": "h1", "PGUSER": "u", "PGDATABASE": "d", "PGPASSWORD": "p"]
        let fromEnvironment = try PGConnection.Configuration.fromEnvironment(environment)
        #expect(fromEnvironment.servers == [Server(host: "h1", port: 5432)])
        #expect(fromEnvironment.user == "u")
        #expect(fromEnvironment.database == "d")
        #expect(fromEnvironment.password == "p")
        let parsed = try PGConnection.Configuration(connectionString: "postgresql://h2:7/x", environment: environment)
        #expect(parsed.servers == [Server(host: "h2", port: 7)])
        #expect(parsed.user == "u")
        #expect(parsed.database == "x")
    }

    @Test func theProcessEnvironmentIsRead() {
        let environment = PGConnectionSettings.processEnvironment
        #expect(environment["PATH"] != nil)
        #expect(environment["PATH"] == ProcessInfo.processInfo.environment["PATH"])
    }

    @Test func theLiveDefaultSocketDirectoryMatchesTheFileSystem() {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: "/var/run/postgresql", isDirectory: &isDirectory) && isDirectory.boolValue
        #expect(PGConnectionSettings.defaultSocketDirectory == (exists ? "/var/run/postgresql" : "/tmp"))
    }

    @Test func theLiveUserNameIsTheEffectiveUser() {
        #expect(ConfigurationSystem.live.userName() == ProcessInfo.processInfo.userName)
    }
}
