import Foundation
import Testing

@_spi(Testing) import PGTestServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PgBouncer launcher: it starts in front of a server, answers, and leaves nothing behind,
/// neither when stopped nor when its owner dies.
@Suite(
    "PgBouncer", .serialized,
    .enabled(
        if: PgBouncer.testsShouldRun,
        "pgbouncer is not installed (apt-get install pgbouncer); PGEVENTS_REQUIRE_PGBOUNCER=1 makes this a failure"))
struct PgBouncerLauncherTests {
    /// Whether a TCP connect to 127.0.0.1:`port` succeeds.
    static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
    static func isGone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[close...].dropFirst(2).first == "Z"
    }

    @Test("starts in transaction mode in front of the server, and stop removes everything")
    func startAndStop() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        defer { try? server.stop() }
        let bouncer = try await onOwnThread { try PgBouncer.start(for: server) }
        let pid = try #require(bouncer.processID)
        #expect(Self.accepts(bouncer.port))
        let settings = try String(contentsOfFile: bouncer.folder + "/pgbouncer.ini", encoding: .utf8)
        #expect(settings.contains("pool_mode = transaction"))
        #expect(settings.contains("* = host=127.0.0.1 port=\(server.port)"))
        let users = try String(contentsOfFile: bouncer.folder + "/userlist.txt", encoding: .utf8)
        #expect(users.contains("\"pgw_scram\""))
        #expect(!users.contains("pgw_trust"))
        try bouncer.stop()
        #expect(Self.isGone(pid))
        #expect(!Self.accepts(bouncer.port))
        #expect(!FileManager.default.fileExists(atPath: bouncer.folder))
        try bouncer.stop()  // nothing left to do
    }

    @Test("the watchdog stops PgBouncer and removes its folder when the owner dies")
    func watchdogCleansUpAfterCrash() async throws {
        let server = try await onOwnThread { try TestServer.start() }
        defer { try? server.stop() }
        let bouncer = try await onOwnThread { try PgBouncer.start(for: server) }
        let pid = try #require(bouncer.processID)
        bouncer.simulateCrash()
        #expect(Self.isGone(pid))
        #expect(!Self.accepts(bouncer.port))
        #expect(!FileManager.default.fileExists(atPath: bouncer.folder))
        try bouncer.stop()
    }
}
