import Foundation
@testable import PGWire
import Testing

/// A fresh private directory for password files, removed afterwards.
private struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("pgwire-pgpass-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to `name` with exactly `mode`.
    func file(_ name: String, _ contents: String, mode: Int) throws -> String {
        let file = path + "/" + name
        #expect(FileManager.default.createFile(atPath: file, contents: Data(contents.utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct PGPassFileParsingTests {
    @Test func wildcardsMatchAnythingInEachOfTheFirstFourFields() {
        let file = PGPassFile(contents: """
            db1:5432:app:alice:one
            *:5433:*:*:two
            db3:*:app:*:three
            """)
        #expect(file.password(host: "db1", port: 5432, database: "app", user: "alice") == "one")
        #expect(file.password(host: "db1", port: 5432, database: "app", user: "bob") == nil)
        #expect(file.password(host: "anything", port: 5433, database: "x", user: "y") == "two")
        #expect(file.password(host: "db3", port: 1, database: "app", user: "z") == "three")
        #expect(file.password(host: "db3", port: 1, database: "other", user: "z") == nil)
    }

    @Test func backslashEscapesColonsAndBackslashes() {
        let file = PGPassFile(contents: #"db\:1:5432:*:u\\x:p\:w\\d"#)
        #expect(file.entries.first?.host == .value("db:1"))
        #expect(file.entries.first?.user == .value(#"u\x"#))
        #expect(file.password(host: "db:1", port: 5432, database: "d", user: #"u\x"#) == #"p:w\d"#)
    }

    @Test func anEscapedStarIsALiteralStar() {
        let file = PGPassFile(contents: #"\*:*:*:*:star"#)
        #expect(file.password(host: "*", port: 5432, database: "d", user: "u") == "star")
        #expect(file.password(host: "db", port: 5432, database: "d", user: "u") == nil)
    }

    @Test func theFirstMatchingLineWins() {
        let file = PGPassFile(contents: """
            *:*:*:alice:general
            db1:5432:app:alice:specific
            """)
        #expect(file.password(host: "db1", port: 5432, database: "app", user: "alice") == "general")
    }

    @Test func anEmptyPasswordStopsTheSearchWithoutAPassword() {
        let file = PGPassFile(contents: "db1:*:*:*:\n*:*:*:*:fallback")
        #expect(file.password(host: "db1", port: 5432, database: "d", user: "u") == nil)
        #expect(file.password(host: "db2", port: 5432, database: "d", user: "u") == "fallback")
    }

    @Test func commentsBlankLinesCarriageReturnsAndShortLinesAreSkipped() {
        let file = PGPassFile(contents: "# hostname:port:database:username:password\r\n\r\n\ndb1:5432:app\r\ndb1:5432:app:alice:pw\r\n")
        #expect(file.entries.count == 1)
        #expect(file.password(host: "db1", port: 5432, database: "app", user: "alice") == "pw")
        #expect(PGPassFile(contents: "#db1:5432:app:alice:pw").entries.isEmpty)
    }

    @Test func fieldsAfterThePasswordAreIgnored() {
        #expect(PGPassFile(contents: "h:1:d:u:pw:extra").password(host: "h", port: 1, database: "d", user: "u") == "pw")
    }

    @Test func thePortIsComparedAsText() {
        let file = PGPassFile(contents: "h:05432:*:*:padded\nh:5432:*:*:plain")
        #expect(file.password(host: "h", port: 5432, database: "d", user: "u") == "plain")
    }

    @Test func localhostMatchesTheDefaultSocketDirectoryAsInLibpq() {
        let file = PGPassFile(contents: """
            /var/run/postgresql:*:*:*:by-directory
            localhost:*:*:*:local
            /srv/sockets:*:*:*:other-directory
            """)
        let lookup = { (host: String, defaultDirectory: String) in
            file.password(host: host, port: 5432, database: "d", user: "u", defaultSocketDirectory: defaultDirectory)
        }
        #expect(lookup("/var/run/postgresql", "/var/run/postgresql") == "local")
        #expect(lookup("", "/var/run/postgresql") == "local")
        #expect(lookup("localhost", "/var/run/postgresql") == "local")
        #expect(lookup("/var/run/postgresql", "/tmp") == "by-directory")
        #expect(lookup("/srv/sockets", "/var/run/postgresql") == "other-directory")
        #expect(file.password(host: PGConnectionSettings.defaultSocketDirectory, port: 5432, database: "d", user: "u") == "local")
    }

    @Test func aServerIsLookedUpByItsHost() {
        let file = PGPassFile(contents: "db.example:5432:d:u:by-name\n10.0.0.1:5432:d:u:by-address")
        let named = PGConnection.Configuration.Server(host: "db.example", port: 5432, hostAddress: "10.0.0.1")
        #expect(file.password(for: named, database: "d", user: "u") == "by-name")
        let addressOnly = PGConnection.Configuration.Server(host: "10.0.0.1", port: 5432, hostAddress: "10.0.0.1")
        #expect(file.password(for: addressOnly, database: "d", user: "u") == "by-address")
    }
}

@Suite struct PGPassFilePermissionTests {
    @Test func aPrivateFileIsLoaded() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("pgpass", "*:*:*:*:pw\n", mode: 0o600)
        guard case .loaded(let file) = PGPassFile.load(path: path) else {
            Issue.record("a 0600 file should load")
            return
        }
        #expect(file.path == path)
        #expect(file.password(host: "h", port: 1, database: "d", user: "u") == "pw")
        let readOnly = try directory.file("readonly", "*:*:*:*:pw\n", mode: 0o400)
        #expect(PGPassFile.load(path: readOnly) == .loaded(PGPassFile(contents: "*:*:*:*:pw\n", path: readOnly)))
    }

    @Test func groupOrWorldAccessIgnoresTheFileWithAWarning() throws {
        let directory = try TemporaryDirectory()
        for mode in [0o644, 0o640, 0o604, 0o660] {
            let path = try directory.file("pgpass-\(mode)", "*:*:*:*:Sup3rSecret\n", mode: mode)
            guard case .ignored(let warning) = PGPassFile.load(path: path) else {
                Issue.record("mode \(String(mode, radix: 8)) should be ignored")
                continue
            }
            #expect(warning.contains(path))
            #expect(warning.contains("0" + String(mode, radix: 8)))
            #expect(warning.contains("0600"))
            #expect(!warning.contains("Sup3rSecret"))
        }
    }

    @Test func aDirectoryIsNotAPasswordFile() throws {
        let directory = try TemporaryDirectory()
        guard case .ignored(let warning) = PGPassFile.load(path: directory.path) else {
            Issue.record("a directory should be ignored")
            return
        }
        #expect(warning.contains("not a plain file"))
    }

    @Test func aMissingFileIsSilentlyAbsent() throws {
        let directory = try TemporaryDirectory()
        #expect(PGPassFile.load(path: directory.path + "/none") == .notFound)
    }
}

@Suite struct PGPassFileResolutionTests {
    @Test func thePasswordFileFillsAMissingPassword() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("pgpass", "db1:5432:app:alice:from-file\n", mode: 0o600)
        let settings = try ConfigurationFixture.settings("host=db1 dbname=app user=alice", environment: ["PGPASSFILE": path])
        #expect(settings.configuration.password == "from-file")
        #expect(settings.passwordFile == path)
        #expect(settings.serverPasswords == ["from-file"])
        #expect(settings.warnings.isEmpty)
    }

    @Test func theDefaultDatabaseAndUserTakePartInTheLookup() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("pgpass", "localhost:5432:osuser:osuser:default-login\n", mode: 0o600)
        let settings = try ConfigurationFixture.settings("", environment: ["PGPASSFILE": path])
        #expect(settings.configuration.host == "/var/run/postgresql")
        #expect(settings.configuration.password == "default-login")
    }

    @Test func aGivenPasswordIsNeverReplaced() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("pgpass", "*:*:*:*:from-file\n", mode: 0o600)
        let settings = try ConfigurationFixture.settings("password=given", environment: ["PGPASSFILE": path])
        #expect(settings.configuration.password == "given")
        #expect(settings.passwordFile == nil)
        let fromEnvironment = try ConfigurationFixture.settings("", environment: ["PGPASSFILE": path, "PGPASSWORD": "env"])
        #expect(fromEnvironment.configuration.password == "env")
    }

    @Test func thePassfileKeywordBeatsPGPASSFILEAndHOME() throws {
        let directory = try TemporaryDirectory()
        let keyword = try directory.file("keyword", "*:*:*:*:keyword\n", mode: 0o600)
        let variable = try directory.file("variable", "*:*:*:*:variable\n", mode: 0o600)
        _ = try directory.file(".pgpass", "*:*:*:*:home\n", mode: 0o600)
        let environment = ["PGPASSFILE": variable, "HOME": directory.path]
        #expect(try ConfigurationFixture.configuration("passfile=\(keyword)", environment: environment).password == "keyword")
        #expect(try ConfigurationFixture.configuration("", environment: environment).password == "variable")
        #expect(try ConfigurationFixture.configuration("", environment: ["HOME": directory.path]).password == "home")
    }

    @Test func eachServerGetsItsOwnLineAndDifferentPasswordsAreNotShared() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("pgpass", "primary:*:*:*:one\nstandby:*:*:*:two\nsame1:*:*:*:x\nsame2:*:*:*:x\n", mode: 0o600)
        let different = try ConfigurationFixture.settings("host=primary,standby,unknown", environment: ["PGPASSFILE": path])
        #expect(different.serverPasswords == ["one", "two", nil])
        #expect(different.configuration.password == nil)
        let same = try ConfigurationFixture.settings("host=same1,same2", environment: ["PGPASSFILE": path])
        #expect(same.serverPasswords == ["x", "x"])
        #expect(same.configuration.password == "x")
    }

    @Test func anOpenFileIsIgnoredWithAWarningInTheSettings() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("pgpass", "*:*:*:*:Sup3rSecret\n", mode: 0o644)
        let settings = try ConfigurationFixture.settings("host=h", environment: ["PGPASSFILE": path])
        #expect(settings.configuration.password == nil)
        #expect(settings.warnings.count == 1)
        #expect(settings.warnings.first?.contains("group or world access") == true)
        #expect(settings.warnings.allSatisfy { !$0.contains("Sup3rSecret") })
    }

    @Test func theDefaultPathIsHomeDotPgpass() {
        #expect(PGPassFile.defaultPath(environment: ["HOME": "/home/alice"]) == "/home/alice/.pgpass")
        #expect(PGPassFile.defaultPath(environment: ["HOME": "/home/alice/"]) == "/home/alice/.pgpass")
        let system = ConfigurationSystem(userName: { "u" }, homeDirectory: { "/from/passwd" }, isDirectory: { _ in false })
        #expect(PGPassFile.defaultPath(environment: [:], system: system) == "/from/passwd/.pgpass")
        #expect(PGPassFile.defaultPath(environment: ["HOME": ""], system: system) == "/from/passwd/.pgpass")
    }
}
