@testable import PGWire
import Testing

/// Resolution with a fixed operating system: user "osuser", no home directory (so no
/// `~/.pgpass`), and `/var/run/postgresql` present unless told otherwise.
enum ConfigurationFixture {
    static func system(socketDirectoryExists: Bool = true, user: String? = "osuser") -> ConfigurationSystem {
        ConfigurationSystem(
            userName: { user },
            homeDirectory: { nil },
            isDirectory: { socketDirectoryExists && $0 == "/var/run/postgresql" }
        )
    }

    static func settings(
        _ text: String, environment: [String: String] = [:], socketDirectoryExists: Bool = true, user: String? = "osuser"
    ) throws -> PGConnectionSettings {
        try PGConnectionSettings(
            PGConnectionString(text), environment: environment,
            system: system(socketDirectoryExists: socketDirectoryExists, user: user))
    }

    static func configuration(_ text: String, environment: [String: String] = [:]) throws -> PGConnection.Configuration {
        try settings(text, environment: environment).configuration
    }

    /// The message of the PGError that resolving `text` throws.
    static func failure(_ text: String, environment: [String: String] = [:]) -> String? {
        do {
            _ = try settings(text, environment: environment)
            return nil
        } catch let error as PGError {
            #expect(error.code == .invalidConfiguration)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }
}

@Suite struct KeyValueSyntaxTests {
    typealias Server = PGConnection.Configuration.Server

    @Test func basicSettingsKeepTheirOrderAndMapToTheConfiguration() throws {
        let string = try PGConnectionString("host=db.example port=5433 dbname=app user=alice password=secret")
        #expect(string.parameters.map(\.key) == ["host", "port", "dbname", "user", "password"])
        let configuration = try ConfigurationFixture.configuration("host=db.example port=5433 dbname=app user=alice password=secret")
        #expect(configuration.servers == [Server(host: "db.example", port: 5433)])
        #expect(configuration.user == "alice")
        #expect(configuration.password == "secret")
        #expect(configuration.database == "app")
    }

    @Test func whitespaceAroundEqualsAndBetweenSettingsIsAllowed() throws {
        let string = try PGConnectionString("  host = db\t port\t=\t5433\n\r dbname=  app  ")
        #expect(string["host"] == "db")
        #expect(string["port"] == "5433")
        #expect(string["dbname"] == "app")
        #expect(string.parameters.count == 3)
    }

    @Test func quotedValuesTakeBackslashEscapes() throws {
        let string = try PGConnectionString(#"password='it\'s a \\ secret' application_name='my app' options='-c geqo=off'"#)
        #expect(string["password"] == #"it's a \ secret"#)
        #expect(string["application_name"] == "my app")
        #expect(string["options"] == "-c geqo=off")
    }

    @Test func unquotedValuesTakeBackslashEscapesToo() throws {
        #expect(try PGConnectionString(#"application_name=a\ b"#)["application_name"] == "a b")
    }

    @Test func emptyQuotedValuesAreEmptyAndMeanTheDefault() throws {
        let settings = try ConfigurationFixture.settings("dbname='' options='' user=bob")
        #expect(settings.connectionString["dbname"] == "")
        #expect(settings.configuration.database == "bob")
        #expect(settings.configuration.options == nil)
    }

    @Test func whitespaceAfterEqualsIsSkippedAsInLibpq() throws {
        // libpq reads `host= port=1` as host "port=1".
        #expect(try PGConnectionString("host= port=1")["host"] == "port=1")
    }

    @Test func aQuotedValueMayBeFollowedDirectlyByTheNextSetting() throws {
        let string = try PGConnectionString("host='x'port=5")
        #expect(string["host"] == "x")
        #expect(string["port"] == "5")
    }

    @Test func theLastOfARepeatedKeywordWins() throws {
        #expect(try ConfigurationFixture.configuration("host=a host=b").host == "b")
    }

    @Test func anEmptyStringHasNoSettings() throws {
        #expect(try PGConnectionString("").parameters.isEmpty)
        #expect(try PGConnectionString(" \t ").parameters.isEmpty)
    }

    @Test func severalHostsPairWithOnePortEachOrOneForAll() throws {
        let paired = try ConfigurationFixture.configuration("host=a,b,c port=5432,5433,5434")
        #expect(paired.servers == [Server(host: "a", port: 5432), Server(host: "b", port: 5433), Server(host: "c", port: 5434)])
        let shared = try ConfigurationFixture.configuration("host=a,b port=6000")
        #expect(shared.servers == [Server(host: "a", port: 6000), Server(host: "b", port: 6000)])
    }

    @Test func emptyListElementsMeanTheDefaults() throws {
        let configuration = try ConfigurationFixture.configuration("host=a,,c port=1,,3")
        #expect(configuration.servers == [
            Server(host: "a", port: 1), Server(host: "/var/run/postgresql", port: 5432), Server(host: "c", port: 3),
        ])
    }

    @Test func hostaddrPairsWithHostOrStandsAlone() throws {
        let both = try ConfigurationFixture.configuration("host=db.example hostaddr=10.0.0.1")
        #expect(both.servers == [Server(host: "db.example", port: 5432, hostAddress: "10.0.0.1")])
        #expect(both.endpoint == .tcp(host: "10.0.0.1", port: 5432))
        let alone = try ConfigurationFixture.configuration("hostaddr=10.0.0.1,::1 port=7")
        #expect(alone.servers == [Server(host: "10.0.0.1", port: 7, hostAddress: "10.0.0.1"), Server(host: "::1", port: 7, hostAddress: "::1")])
    }
}

@Suite struct URISyntaxTests {
    typealias Server = PGConnection.Configuration.Server

    @Test func bothSchemesParseTheSameWay() throws {
        for scheme in ["postgresql", "postgres"] {
            let configuration = try ConfigurationFixture.configuration("\(scheme)://alice:secret@db.example:5433/app")
            #expect(configuration.servers == [Server(host: "db.example", port: 5433)])
            #expect(configuration.user == "alice")
            #expect(configuration.password == "secret")
            #expect(configuration.database == "app")
        }
        #expect(PGConnectionString.isURI("postgres://h"))
        #expect(!PGConnectionString.isURI("postgre://h"))
    }

    @Test func everyPartIsPercentDecoded() throws {
        let string = try PGConnectionString(
            "postgresql://al%40ice:p%40ss%3Aw%2Frd@db%2Eexample/my%20db?application_name=a%26b&options=-c%20geqo%3Doff")
        #expect(string["user"] == "al@ice")
        #expect(string["password"] == "p@ss:w/rd")
        #expect(string["host"] == "db.example")
        #expect(string["dbname"] == "my db")
        #expect(string["application_name"] == "a&b")
        #expect(string["options"] == "-c geqo=off")
        #expect(try PGConnectionString("postgresql://h/db?u%73er=bob")["user"] == "bob")
    }

    @Test func aPasswordMayHoldAColonWithoutEncoding() throws {
        #expect(try PGConnectionString("postgresql://u:a:b@h/db")["password"] == "a:b")
    }

    @Test func userWithoutPasswordSetsNoPassword() throws {
        let configuration = try ConfigurationFixture.configuration("postgresql://bob@h/db")
        #expect(configuration.user == "bob")
        #expect(configuration.password == nil)
    }

    @Test func ipv6AddressesGoInBrackets() throws {
        #expect(try ConfigurationFixture.configuration("postgresql://[::1]:5433/db").servers == [Server(host: "::1", port: 5433)])
        #expect(try ConfigurationFixture.configuration("postgresql://[2001:db8::1234]/db").servers == [Server(host: "2001:db8::1234", port: 5432)])
        let several = try ConfigurationFixture.configuration("postgresql://[::1]:1,127.0.0.1:2,[fe80::1]/db")
        #expect(several.servers == [Server(host: "::1", port: 1), Server(host: "127.0.0.1", port: 2), Server(host: "fe80::1", port: 5432)])
    }

    @Test func severalHostsWithAndWithoutPorts() throws {
        let mixed = try ConfigurationFixture.configuration("postgresql://h1:5433,h2,h3:5435/db")
        #expect(mixed.servers == [Server(host: "h1", port: 5433), Server(host: "h2", port: 5432), Server(host: "h3", port: 5435)])
        let none = try ConfigurationFixture.configuration("postgresql://h1,h2/db")
        #expect(none.servers == [Server(host: "h1", port: 5432), Server(host: "h2", port: 5432)])
        // Unlike libpq, hosts without ports leave PGPORT in force.
        let fromEnvironment = try ConfigurationFixture.configuration("postgresql://h1,h2/db", environment: ["PGPORT": "6000"])
        #expect(fromEnvironment.servers.map(\.port) == [6000, 6000])
    }

    @Test func aPercentEncodedHostIsASocketDirectory() throws {
        let configuration = try ConfigurationFixture.configuration("postgresql://%2Fvar%2Frun%2Fpostgresql/db")
        #expect(configuration.host == "/var/run/postgresql")
        #expect(configuration.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(configuration.database == "db")
    }

    @Test func hostQueryParameterNamesTheSocketDirectoryAndOverridesTheHostPart() throws {
        #expect(try ConfigurationFixture.configuration("postgresql:///db?host=/tmp/sockets").host == "/tmp/sockets")
        #expect(try ConfigurationFixture.configuration("postgres://:6000/db?host=/x").servers == [Server(host: "/x", port: 6000)])
        #expect(try ConfigurationFixture.configuration("postgresql://ignored/db?host=/x").host == "/x")
    }

    @Test func anEmptyHostMeansTheDefaultSocketDirectory() throws {
        let configuration = try ConfigurationFixture.configuration("postgresql:///db")
        #expect(configuration.servers == [Server(host: "/var/run/postgresql", port: 5432)])
        #expect(try ConfigurationFixture.configuration("postgres://").host == "/var/run/postgresql")
        #expect(try ConfigurationFixture.configuration("postgres://@host").host == "host")
        #expect(try ConfigurationFixture.configuration("postgres://host:/").servers == [Server(host: "host", port: 5432)])
    }

    @Test func queryParametersTakeAnyLibpqKeyword() throws {
        let settings = try ConfigurationFixture.settings(
            "postgresql://h/db?connect_timeout=10&target_session_attrs=read-write&keepalives_idle=30&sslmode=disable&")
        #expect(settings.configuration.connectTimeout == .seconds(10))
        #expect(settings.configuration.targetSessionAttributes == .readWrite)
        #expect(settings.configuration.tls.mode == .disable)
        #expect(settings.value(for: "keepalives_idle") == "30")
    }

    @Test func sslTrueMeansSSLModeRequire() throws {
        #expect(try PGConnectionString("postgresql://h?ssl=true")["sslmode"] == "require")
        #expect(ConfigurationFixture.failure("postgresql://h?ssl=false")?.contains("ssl=false") == true)
    }
}

@Suite struct ConnectionStringMappingTests {
    @Test func sslmodeDefaultsToPreferAndMapsPathsAndSNI() throws {
        #expect(try ConfigurationFixture.configuration("host=h").tls == .init(mode: .prefer))
        let tls = try ConfigurationFixture.configuration(
            "sslmode=verify-ca sslrootcert=/ca.pem sslcert=/c.pem sslkey=/k.pem sslcrl=/crl.pem sslsni=0").tls
        #expect(tls == .init(mode: .verifyCA, rootCertificatePath: "/ca.pem", certificatePath: "/c.pem", keyPath: "/k.pem",
                             revocationListPath: "/crl.pem", serverNameIndication: false))
        for mode in PGConnection.Configuration.TLSMode.allCases {
            #expect(try ConfigurationFixture.configuration("sslmode=\(mode.rawValue)").tls.mode == mode)
        }
    }

    @Test func systemRootCertificatesMakeVerifyFullTheDefaultAndForbidWeakerModes() throws {
        #expect(try ConfigurationFixture.configuration("sslrootcert=system").tls.mode == .verifyFull)
        #expect(ConfigurationFixture.failure("sslrootcert=system sslmode=require")?.contains("weak sslmode \"require\"") == true)
        #expect(ConfigurationFixture.failure("sslnegotiation=direct")?.contains("sslnegotiation=direct") == true)
        #expect(try ConfigurationFixture.configuration("sslnegotiation=direct sslmode=require").tls.mode == .require)
    }

    @Test func connectTimeoutFollowsLibpq() throws {
        #expect(try ConfigurationFixture.configuration("connect_timeout=10").connectTimeout == .seconds(10))
        #expect(try ConfigurationFixture.configuration("connect_timeout=1").connectTimeout == .seconds(2))
        #expect(try ConfigurationFixture.configuration("connect_timeout=0").connectTimeout == nil)
        #expect(try ConfigurationFixture.configuration("connect_timeout=-3").connectTimeout == nil)
        #expect(try ConfigurationFixture.configuration("connect_timeout=''").connectTimeout == nil)
        #expect(try ConfigurationFixture.configuration("host=h").connectTimeout == nil)
        #expect(try ConfigurationFixture.configuration("connect_timeout=' 7 '").connectTimeout == .seconds(7))
    }

    @Test func keepalivesAndUserTimeoutReachTheConfigurationWithLibpqsZeroMeaningDefault() throws {
        let configuration = try ConfigurationFixture.configuration(
            "keepalives_idle=60 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=9000")
        #expect(configuration.keepalives == .init(enabled: true, idle: .seconds(60), interval: .seconds(5), count: 3))
        #expect(configuration.tcpUserTimeout == .milliseconds(9000))
        let defaults = try ConfigurationFixture.configuration("keepalives_idle=0 keepalives_count=0 tcp_user_timeout=0")
        #expect(defaults.keepalives == .init())
        #expect(defaults.tcpUserTimeout == nil)
        #expect(try ConfigurationFixture.configuration("keepalives=0").keepalives.enabled == false)
        #expect(try ConfigurationFixture.configuration("keepalives=2").keepalives.enabled)
        #expect(ConfigurationFixture.failure("keepalives_idle=40000")?.contains("keepalives_idle") == true)
        #expect(ConfigurationFixture.failure("keepalives_count=128")?.contains("keepalives_count") == true)
        #expect(ConfigurationFixture.failure("connect_timeout=99999999999")?.contains("connect_timeout") == true)
    }

    @Test func requireAuthAndChannelBindingReachTheConfiguration() throws {
        let configuration = try ConfigurationFixture.configuration("require_auth=scram-sha-256 channel_binding=disable")
        #expect(configuration.requireAuth.allowed == [.scramSHA256])
        #expect(configuration.channelBinding == .disable)
        #expect(try ConfigurationFixture.configuration("host=h").requireAuth == .any)
        #expect(try ConfigurationFixture.configuration("host=h").channelBinding == .prefer)
        #expect(ConfigurationFixture.failure("require_auth=md5,!none")?.contains("require_auth") == true)
    }

    @Test func clientEncodingMustBeUTF8() throws {
        for accepted in ["UTF8", "utf8", "UTF-8", "unicode"] {
            #expect(try ConfigurationFixture.settings("client_encoding=\(accepted)").value(for: "client_encoding") == accepted)
        }
        let message = ConfigurationFixture.failure("client_encoding=LATIN1")
        #expect(message?.contains("LATIN1") == true)
        #expect(message?.contains("PGWire always uses UTF8") == true)
    }

    @Test func gssEncryptionCannotBeRequired() throws {
        #expect(try ConfigurationFixture.settings("gssencmode=disable").value(for: "gssencmode") == "disable")
        #expect(try ConfigurationFixture.settings("gssencmode=prefer").value(for: "gssencmode") == "prefer")
        #expect(ConfigurationFixture.failure("gssencmode=require")?.contains("gssencmode=require") == true)
    }

    @Test func serviceFilesAndReplicationAreRefusedByName() {
        #expect(ConfigurationFixture.failure("service=mydb")?.contains("\"service\"") == true)
        #expect(ConfigurationFixture.failure("replication=database")?.contains("\"replication\"") == true)
        #expect(ConfigurationFixture.failure("host=h replication=off") == nil)
    }

    @Test func targetSessionAttributesMapAllSixValues() throws {
        for attributes in PGConnection.Configuration.TargetSessionAttributes.allCases {
            #expect(try ConfigurationFixture.configuration("target_session_attrs=\(attributes.rawValue)").targetSessionAttributes == attributes)
        }
        #expect(try ConfigurationFixture.configuration("host=h").targetSessionAttributes == .any)
    }

    @Test func applicationNameFallsBackAndOptionsPassThrough() throws {
        #expect(try ConfigurationFixture.configuration("fallback_application_name=fb").applicationName == "fb")
        #expect(try ConfigurationFixture.configuration("application_name=app fallback_application_name=fb").applicationName == "app")
        #expect(try ConfigurationFixture.configuration("application_name='' fallback_application_name=fb").applicationName == "fb")
        #expect(try ConfigurationFixture.configuration("options='-c statement_timeout=5s'").options == "-c statement_timeout=5s")
    }

    @Test func everySettingGivenIsKeptInValues() throws {
        let settings = try ConfigurationFixture.settings(
            "keepalives=1 keepalives_idle=60 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=9000 "
                + "channel_binding=require require_auth=scram-sha-256 load_balance_hosts=random sslcertmode=allow "
                + "sslpassword=x krbsrvname=pg gsslib=gssapi requirepeer=postgres sslcompression=0 sslcrldir=/d "
                + "ssl_min_protocol_version=TLSv1.2 ssl_max_protocol_version=tlsv1.3")
        #expect(settings.value(for: "keepalives_idle") == "60")
        #expect(settings.value(for: "channel_binding") == "require")
        #expect(settings.value(for: "require_auth") == "scram-sha-256")
        #expect(settings.value(for: "load_balance_hosts") == "random")
        #expect(settings.source(for: "tcp_user_timeout") == .connectionString)
        #expect(settings.value(for: "sslmode") == nil)
    }
}

@Suite struct ConnectionStringErrorTests {
    @Test func unknownKeywordsAreNamed() {
        #expect(ConfigurationFixture.failure("host=h foo=1") == "unknown connection option \"foo\"")
        #expect(ConfigurationFixture.failure("postgresql://h/db?uzer=x") == "unknown connection option \"uzer\"")
        #expect(ConfigurationFixture.failure("=x") == "unknown connection option \"\"")
    }

    @Test func statementTimeoutIsNotAKeywordButTheErrorPointsToOptions() {
        let message = ConfigurationFixture.failure("statement_timeout=5s")
        #expect(message?.hasPrefix("unknown connection option \"statement_timeout\"") == true)
        #expect(message?.contains("options='-c statement_timeout=") == true)
    }

    @Test func badPortsAreRejected() {
        #expect(ConfigurationFixture.failure("port=0")?.contains("invalid port number \"0\"") == true)
        #expect(ConfigurationFixture.failure("port=65536")?.contains("invalid port number \"65536\"") == true)
        #expect(ConfigurationFixture.failure("port=12x")?.contains("invalid integer value \"12x\" for connection option \"port\"") == true)
        #expect(ConfigurationFixture.failure("postgresql://h:abc/db")?.contains("\"abc\"") == true)
        #expect(ConfigurationFixture.failure("host=a,b port=1,x")?.contains("\"x\"") == true)
    }

    @Test func badChoicesNameTheKeywordAndTheValue() {
        let message = ConfigurationFixture.failure("sslmode=bogus")
        #expect(message?.contains("\"bogus\"") == true)
        #expect(message?.contains("\"sslmode\"") == true)
        #expect(message?.contains("verify-full") == true)
        #expect(ConfigurationFixture.failure("channel_binding=x")?.contains("\"channel_binding\"") == true)
        #expect(ConfigurationFixture.failure("load_balance_hosts=x")?.contains("\"load_balance_hosts\"") == true)
        #expect(ConfigurationFixture.failure("target_session_attrs=master")?.contains("\"master\"") == true)
        #expect(ConfigurationFixture.failure("sslsni=yes")?.contains("\"sslsni\"") == true)
        #expect(ConfigurationFixture.failure("ssl_min_protocol_version=TLSv9")?.contains("\"TLSv9\"") == true)
        #expect(ConfigurationFixture.failure("ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2")?.contains("range") == true)
    }

    @Test func integersAreChecked() {
        #expect(ConfigurationFixture.failure("keepalives_idle=abc")?.contains("\"keepalives_idle\"") == true)
        #expect(ConfigurationFixture.failure("keepalives_count=-1")?.contains("\"keepalives_count\"") == true)
        #expect(ConfigurationFixture.failure("connect_timeout=soon")?.contains("\"connect_timeout\"") == true)
        #expect(ConfigurationFixture.failure("tcp_user_timeout=1.5")?.contains("\"tcp_user_timeout\"") == true)
    }

    @Test func requireAuthIsChecked() {
        #expect(ConfigurationFixture.failure("require_auth=password,!md5")?.contains("negated") == true)
        #expect(ConfigurationFixture.failure("require_auth=kerberos")?.contains("\"kerberos\"") == true)
        #expect(ConfigurationFixture.failure("require_auth=md5,md5")?.contains("at most once") == true)
        #expect(ConfigurationFixture.failure("require_auth=!password,!md5") == nil)
    }

    @Test func hostaddrMustBeNumeric() {
        #expect(ConfigurationFixture.failure("hostaddr=db.example")?.contains("\"db.example\"") == true)
    }

    @Test func mismatchedListCountsAreErrors() {
        #expect(ConfigurationFixture.failure("host=a,b port=1,2,3") == "could not match 3 port numbers to 2 hosts")
        #expect(ConfigurationFixture.failure("host=a hostaddr=1.2.3.4,5.6.7.8") == "could not match 1 host names to 2 hostaddr values")
        #expect(ConfigurationFixture.failure("postgresql://a:1,b:2,c:3/db?port=1,2") == "could not match 2 port numbers to 3 hosts")
    }

    @Test func syntaxErrorsInKeyValueStrings() {
        #expect(ConfigurationFixture.failure("host='abc") == "unterminated quoted string in connection string")
        #expect(ConfigurationFixture.failure(#"host='abc\'"#) == "unterminated quoted string in connection string")
        #expect(ConfigurationFixture.failure("host") == "missing \"=\" after \"host\" in connection string")
        #expect(ConfigurationFixture.failure("host=a port") == "missing \"=\" after \"port\" in connection string")
    }

    @Test func badPercentEscapesInURIs() {
        #expect(ConfigurationFixture.failure("postgres://host?dbname=%XXfoo")?.contains("invalid percent-encoded token") == true)
        #expect(ConfigurationFixture.failure("postgresql://%zz")?.contains("\"%zz\"") == true)
        #expect(ConfigurationFixture.failure("postgresql://%1")?.contains("invalid percent-encoded token") == true)
        #expect(ConfigurationFixture.failure("postgresql://%")?.contains("invalid percent-encoded token") == true)
        #expect(ConfigurationFixture.failure("postgresql://a%00b")?.contains("%00") == true)
        #expect(ConfigurationFixture.failure("postgresql://h/%C3%28")?.contains("UTF-8") == true)
    }

    @Test func malformedURIs() {
        #expect(ConfigurationFixture.failure("postgres://[::1")?.contains("\"]\"") == true)
        #expect(ConfigurationFixture.failure("postgres://[]")?.contains("may not be empty") == true)
        #expect(ConfigurationFixture.failure("postgres://[::1]z")?.contains("unexpected character \"z\"") == true)
        #expect(ConfigurationFixture.failure("postgresql://host?zzz") == "missing key/value separator \"=\" in URI query parameter \"zzz\"")
        #expect(ConfigurationFixture.failure("postgresql://host?value1&value2")?.contains("\"value1\"") == true)
        #expect(ConfigurationFixture.failure("postgresql://host?key=key=value") == "extra key/value separator \"=\" in URI query parameter \"key\"")
        #expect(ConfigurationFixture.failure("postgre://") == "missing \"=\" after \"postgre://\" in connection string")
    }

    @Test func noErrorMessageContainsThePassword() {
        let secret = "Sup3rSecret"
        let broken = [
            "password=\(secret) foo=1",
            "password=\(secret) Extra\(secret)",
            "password='\(secret)",
            "password=\(secret) port=0",
            "password=\(secret) sslmode=bogus",
            "postgresql://u:\(secret)%zz@h/db",
            "postgresql://u:\(secret)%00@h/db",
            "postgresql://u:\(secret)%C3%28@h/db",
            "postgresql://u:\(secret)@[::1",
            "postgresql://u:\(secret)@[::1]x/db",
            "postgresql://u:\(secret)@h:0/db",
            "postgresql://u:\(secret)@h/db?password=\(secret)%zz",
            "postgresql://u:\(secret)@h/db?sslmode=bogus",
            "postgresql://u:\(secret)@a,b/db?port=1,2,3",
        ]
        for text in broken {
            let message = ConfigurationFixture.failure(text)
            #expect(message != nil, "\(text) should fail")
            #expect(message?.contains(secret) == false, "\(message ?? "")")
        }
    }

    @Test func descriptionsHideThePassword() throws {
        let settings = try ConfigurationFixture.settings("postgresql://u:Sup3rSecret@h/db?sslpassword=KeyPass&application_name=my%20app")
        #expect(!"\(settings.connectionString)".contains("Sup3rSecret"))
        #expect(!"\(settings.connectionString)".contains("KeyPass"))
        #expect("\(settings.connectionString)".contains("password=********"))
        #expect("\(settings.connectionString)".contains("application_name='my app'"))
        #expect(!"\(settings)".contains("Sup3rSecret"))
        #expect(!"\(settings.configuration)".contains("Sup3rSecret"))
    }
}
