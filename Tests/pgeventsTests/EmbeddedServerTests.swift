import Foundation
import PGTestServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The embedded server: a cluster in --data-dir that outlives each command while its server
/// does not. Runs as root too (the server then runs as `postgres`, so the folder sits under
/// /tmp with mode 0755 parents).
@Suite(.serialized) struct EmbeddedServerTests {
    /// Whether any process's command line mentions `path` (the postmaster runs as
    /// `postgres -D <path>/cluster`, perhaps behind runuser).
    static func processes(mentioning path: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return commandLine.contains(path) ? "\(pid): \(commandLine)" : nil
        }
    }

    static func expectServerGone(_ dataDirectory: String) {
        #expect(processes(mentioning: dataDirectory).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dataDirectory + "/cluster/postmaster.pid"))
        let sockets = ((try? FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/cluster")) ?? [])
            .filter { $0.hasPrefix(".s.PGSQL.") }
        #expect(sockets.isEmpty)
    }

    @Test func dataSurvivesBetweenCommandsAndNoServerOutlivesOne() async throws {
        let parent = try TestServer.makeReachableFolder(prefix: "pgevents-test-")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let data = parent + "/store"

        let migrated = try await PGEventsProcess.run(["migrate", "--data-dir", data])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stderr.contains("creating a PostgreSQL cluster in \(data)/cluster"))
        Self.expectServerGone(data)

        let appended = try await PGEventsProcess.run(
            ["append", "order-1", "--type", "OrderPlaced", "--data", #"{"total": 12}"#, "--data-dir", data])
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stderr.isEmpty)
        Self.expectServerGone(data)

        let read = try await PGEventsProcess.run(["read", "order-1", "--data-dir", data])
        #expect(read.status == 0, "\(read.stderr)")
        let event = try #require(try read.jsonLines().first)
        #expect(event["type"] as? String == "OrderPlaced")
        #expect((event["data"] as? [String: Any])?["total"] as? Int == 12)
        Self.expectServerGone(data)

        // A failing command stops its server too.
        let conflict = try await PGEventsProcess.run(
            ["append", "order-1", "--type", "X", "--data", "{}", "--expected", "no-stream", "--data-dir", data])
        #expect(conflict.status == 3)
        Self.expectServerGone(data)

        let status = try await PGEventsProcess.run(["status", "--json", "--data-dir", data])
        #expect(try status.jsonLines().first?["server"] as? String == "embedded (\(data))")
    }

    @Test func asRootAFolderThePostgresUserCannotEnterIsRefused() async throws {
        guard geteuid() == 0 else { return }  // the rule is about root only
        let parent = try TestServer.makeReachableFolder(prefix: "pgevents-test-")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        chmod(parent, 0o700)
        let result = try await PGEventsProcess.run(["status", "--data-dir", parent + "/store"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot enter \(parent)"))
        #expect(result.stderr.contains("/var/lib/pgevents"))
        #expect(!FileManager.default.fileExists(atPath: parent + "/store"))
    }
}
