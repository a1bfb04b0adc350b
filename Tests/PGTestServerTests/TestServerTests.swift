import Foundation
import Testing

@_spi(Testing) import PGTestServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// One at a time: each test blocks a thread of the cooperative pool while its server starts.
@Suite("TestServer", .serialized)
struct TestServerTests {
    @Test("starts a server that answers on its socket and port, and stop removes everything")
    func startAndStop() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        #expect(server.host == "127.0.0.1")
        #expect(server.superuser == "postgres")
        #expect(server.database == "postgres")
        #expect(server.socketDirectory == server.dataDirectory)
        #expect(try server.psql("SELECT 1") == "1")
        #expect(try server.psql("SHOW port") == "\(server.port)")
        #expect(try server.psql("SHOW fsync; SHOW max_connections") == "off\n200")
        #expect(FileManager.default.fileExists(atPath: server.socketPath))
        #expect(server.socketPath == server.socketDirectory + "/.s.PGSQL.\(server.port)")
        let pid = try postmasterPID(server)

        try server.stop()
        #expect(!FileManager.default.fileExists(atPath: server.dataDirectory))
        #expect(!FileManager.default.fileExists(atPath: server.socketPath))
        #expect(processIsGone(pid))
        #expect(throws: TestServerError.self) { try server.psql("SELECT 1") }
        try server.stop()  // a second stop does nothing
    }

    @Test("creates the four test users with passwords stored as their methods need")
    func users() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        defer { try? server.stop() }
        #expect(server.users.map(\.name) == ["pgw_trust", "pgw_password", "pgw_md5", "pgw_scram"])
        #expect(server.users.map(\.method) == TestServer.AuthMethod.allCases)
        #expect(server.user(.md5).name == "pgw_md5")
        #expect(server.user(.scramSHA256).password == "scram-sëcret ünïcode")

        let stored = try server.psql(
            "SELECT rolname, rolcanlogin, rolsuper, rolpassword FROM pg_authid WHERE rolname LIKE 'pgw\\_%' ORDER BY rolname"
        )
        let rows = Dictionary(
            uniqueKeysWithValues: stored.split(separator: "\n").map { line in
                let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                return (fields[0], Array(fields.dropFirst()))
            }
        )
        #expect(rows.count == 4)
        for user in server.users {
            let row = try #require(rows[user.name])
            #expect(row[0] == "t", "\(user.name) can log in")
            #expect(row[1] == "f", "\(user.name) is no superuser")
        }
        #expect(rows["pgw_md5"]?[2].hasPrefix("md5") == true)
        #expect(rows["pgw_scram"]?[2].hasPrefix("SCRAM-SHA-256$") == true)
        #expect(rows["pgw_password"]?[2].hasPrefix("SCRAM-SHA-256$") == true)

        let rules = try server.psql(
            """
            SELECT count(*) FILTER (WHERE error IS NOT NULL), string_agg(DISTINCT auth_method, ',' ORDER BY auth_method)
            FROM pg_hba_file_rules
            """
        )
        #expect(rules == "0|md5,password,reject,scram-sha-256,trust")
    }

    @Test("each test user logs in over TCP with its password, others are rejected")
    func logins() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        defer { try? server.stop() }
        for user in server.users {
            let login = try psqlAs(server, user: user.name, password: user.password)
            #expect(login.status == 0, "\(user.name): \(login.output)")
            #expect(login.output == user.name)
            let create = try psqlAs(
                server,
                user: user.name,
                password: user.password,
                sql: "CREATE TABLE t_\(user.name) (id int); SELECT 'ok'"
            )
            #expect(create.output == "ok", "\(user.name) may create tables: \(create.output)")
        }
        for method in [TestServer.AuthMethod.password, .md5, .scramSHA256] {
            let wrong = try psqlAs(server, user: server.user(method).name, password: "wrong")
            #expect(wrong.status != 0)
            #expect(wrong.output.contains("password authentication failed"), "\(wrong.output)")
        }
        let stranger = try psqlAs(server, user: "nobody", password: nil)
        #expect(stranger.status != 0)
        #expect(stranger.output.contains("rejects connection"), "\(stranger.output)")

        if hasIPv6Loopback() {
            let overIPv6 = try psqlAs(server, host: "::1", user: "pgw_scram", password: server.user(.scramSHA256).password)
            #expect(overIPv6.output == "pgw_scram", "\(overIPv6.output)")
        }
    }

    @Test("applies extra settings, quoted, and rejects a malformed one")
    func settings() async throws {
        let server = try await onOwnThread { try TestServer.start(.init(settings: ["work_mem": "8MB", "log_line_prefix": #"it's \ %m "#])) }
        defer { try? server.stop() }
        #expect(try server.psql("SHOW work_mem") == "8MB")
        #expect(try server.psql("SHOW log_line_prefix") == #"it's \ %m "#)
        for bad in [["work_mem = 1; fsync": "on"], ["work_mem": "1MB\nfsync = on"]] {
            #expect(throws: TestServerError.self) { try TestServer.start(.init(settings: bad)).stop() }
        }
    }

    @Test("psql reports the server's error")
    func psqlError() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        defer { try? server.stop() }
        let error = try #require(throws: TestServerError.self) { try server.psql("SELECT * FROM no_such_table") }
        #expect(error.description.contains("no_such_table"))
        #expect(error.exitStatus == 3)
    }

    @Test("a kept data directory survives a stop and is reused by the next start")
    func persistentDataDirectory() async throws {
        let parent = try TestServer.makeReachableFolder(prefix: "pgtestserver-tests-")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let folder = parent + "/cluster"

        let first = try await onOwnThread { try TestServer.start(.init(dataDirectory: folder)) }
        #expect(first.dataDirectory == folder)
        try first.psql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
        try first.stop()
        #expect(FileManager.default.fileExists(atPath: folder + "/PG_VERSION"))

        let second = try await onOwnThread { try TestServer.start(.init(dataDirectory: folder)) }
        defer { try? second.stop() }
        #expect(try second.psql("SELECT v FROM kept") == "still here")
        let login = try psqlAs(second, user: "pgw_md5", password: "md5-secret")
        #expect(login.output == "pgw_md5", "\(login.output)")
        #expect(try second.psql("SELECT count(*) FROM pg_authid WHERE rolname LIKE 'pgw\\_%'") == "4")
        try second.stop()
        #expect(FileManager.default.fileExists(atPath: folder + "/PG_VERSION"))
    }

    @Test("the watchdog stops the server and removes its folder when the process dies")
    func watchdogCleansUpAfterCrash() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        let pid = try postmasterPID(server)
        server.simulateCrash()
        #expect(processIsGone(pid))
        #expect(!FileManager.default.fileExists(atPath: server.dataDirectory))
        try server.stop()  // nothing left to do
    }

    @Test("a port that is taken, on one address or both, is an error naming it")
    func portTaken() async throws {
        let first = try await onOwnThread { try TestServer.start() }
        defer { try? first.stop() }
        let both = try #require(throws: TestServerError.self) { try TestServer.start(.init(port: first.port)) }
        #expect(both.message == "port \(first.port) is already in use")
        #expect(both.output.contains("Address already in use"))

        // Only 127.0.0.1 taken: PostgreSQL would start on ::1 alone, which must not pass.
        let (listener, port) = try listenOnIPv4()
        defer { close(listener) }
        let one = try #require(throws: TestServerError.self) { try TestServer.start(.init(port: port)) }
        #expect(one.message == "port \(port) is already in use")
    }

    @Test("a data directory too long for a socket address gets a short socket folder")
    func longDataDirectory() async throws {
        let parent = try TestServer.makeReachableFolder(prefix: "pgtestserver-tests-")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let folder = parent + "/" + String(repeating: "d", count: 90)
        let server = try await onOwnThread { try TestServer.start(.init(dataDirectory: folder)) }
        #expect(server.socketDirectory != server.dataDirectory)
        #expect(server.socketPath.utf8.count < 104)
        #expect(try server.psql("SELECT current_setting('unix_socket_directories') = '\(server.socketDirectory)'") == "t")
        try server.stop()
        #expect(!FileManager.default.fileExists(atPath: server.socketDirectory))
        #expect(FileManager.default.fileExists(atPath: folder + "/PG_VERSION"))
    }

    @Test("a folder without PostgreSQL is refused with the missing programs named")
    func badBinDirectory() async throws {
        let error = try #require(throws: TestServerError.self) {
            try TestServer.start(.init(binDirectory: URL(fileURLWithPath: "/usr/bin")))
        }
        #expect(error.message.contains("initdb"))
    }

    @Test("findBinaries finds a PostgreSQL installation of version 15 or later")
    func findsBinaries() async throws {
        let folder = try TestServer.findBinaries()
        for program in ["initdb", "pg_ctl", "postgres", "psql"] {
            #expect(FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent(program).path))
        }
        let version = try run([folder.appendingPathComponent("pg_ctl").path, "--version"]).output
        #expect(version.hasPrefix("pg_ctl (PostgreSQL) "))
        let major = Int(version.dropFirst("pg_ctl (PostgreSQL) ".count).prefix { $0.isNumber }) ?? 0
        #expect(major >= 15, "\(version)")
        if FileManager.default.fileExists(atPath: "/usr/lib/postgresql/15/bin/pg_ctl"),
            (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) == ["15"]
        {
            #expect(folder.path == "/usr/lib/postgresql/15/bin")
        }
    }
}

// MARK: - Helpers

/// The postmaster's process id, from the first line of `postmaster.pid`.
private func postmasterPID(_ server: TestServer) throws -> pid_t {
    let text = try String(contentsOfFile: server.dataDirectory + "/postmaster.pid", encoding: .utf8)
    return try #require(pid_t(text.prefix { $0 != "\n" }))
}

/// Whether `pid` has exited (or is a zombie waiting to be reaped), waiting up to 10 s.
private func processIsGone(_ pid: pid_t) -> Bool {
    let deadline = Date().addingTimeInterval(10)
    repeat {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            stat[close...].dropFirst(2).first == "Z"
        {
            return true
        }
        usleep(20_000)
    } while Date() < deadline
    return false
}

/// A listening TCP socket on 127.0.0.1 and its port.
private func listenOnIPv4() throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let listening = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    try #require(listening)
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// Whether ::1 can be bound here.
func hasIPv6Loopback() -> Bool {
    let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
        }
    }
}

/// Runs psql over TCP as `user` with `password`, returning its exit status and output.
private func psqlAs(
    _ server: TestServer,
    host: String? = nil,
    user: String,
    password: String?,
    sql: String = "SELECT current_user"
) throws -> (status: Int32, output: String) {
    let psql = try TestServer.findBinaries().appendingPathComponent("psql").path
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
    environment["PGPASSWORD"] = password
    environment["PGCONNECT_TIMEOUT"] = "10"
    environment["PGCLIENTENCODING"] = "UTF8"
    return try run(
        [
            psql, "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-h", host ?? server.host, "-p", "\(server.port)",
            "-U", user, "-d", server.database, "-c", sql,
        ],
        environment: environment
    )
}

private func run(_ command: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let process = try ChildProcess(
        command, environment: environment, stderr: .standardOutput)
    let termination = process.waitForExit()
    let text = String(decoding: process.standardOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return (termination.status, text)
}
