import Foundation
import PGTestServer
import Testing

/// `--read-url`: reads and status against a standby while appends go to the primary.
@Suite("pgevents --read-url")
struct ReadURLTests {
    @Test("reads come from the standby given by --read-url (or PGEVENTS_READ_URL), and status shows its lag")
    func readsFromTheStandby() async throws {
        try await TestServer.withPrimaryAndStandby { primary, standby in
            let url = "postgresql://\(primary.superuser)@\(primary.host):\(primary.port)/\(primary.database)"
            let readURL = "postgresql://\(standby.superuser)@\(standby.host):\(standby.port)/\(standby.database)"
            func run(_ arguments: [String], read: Bool = true) async throws -> PGEventsProcess.Result {
                try await PGEventsProcess.run(arguments + ["--url", url] + (read ? ["--read-url", readURL] : []))
            }
            #expect(try await run(["migrate"], read: false).status == 0)
            try await onOwnThread { try standby.waitForReplay(of: primary) }
            try standby.psql("SELECT pg_wal_replay_pause()")
            defer { _ = try? standby.psql("SELECT pg_wal_replay_resume()") }

            let appended = try await run(["append", "order-1", "--type", "Placed", "--data", #"{"n":1}"#])
            #expect(appended.status == 0, "\(appended.stderr)")
            // The primary has it; the paused standby does not.
            #expect(try await run(["read", "order-1"], read: false).stdout.contains(#""type":"Placed""#))
            let fromStandby = try await run(["read", "order-1"])
            #expect(fromStandby.status == 0, "\(fromStandby.stderr)")
            #expect(fromStandby.stdout.isEmpty)
            var environment = PGEventsProcess.baseEnvironment
            environment["PGEVENTS_READ_URL"] = readURL
            #expect(try await PGEventsProcess.run(["read", "order-1", "--url", url], environment: environment).stdout.isEmpty)

            let status = try await run(["status"])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("\(standby.host):\(standby.port), a standby, "), "\(status.stdout)")
            #expect(status.stdout.contains("bytes behind the primary"))
            #expect(status.stdout.contains("standby:"))
            let json = try await run(["status", "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let read = try #require(object["read_server"] as? [String: Any])
            #expect(read["standby"] as? Bool == true)
            #expect((read["replay_lag_bytes"] as? Int ?? 0) > 0)
            #expect((object["standbys"] as? [Any])?.count == 1)

            try standby.psql("SELECT pg_wal_replay_resume()")
            try await onOwnThread { try standby.waitForReplay(of: primary) }
            #expect(try await run(["read", "order-1"]).stdout.contains(#""type":"Placed""#))
        }
    }
}
