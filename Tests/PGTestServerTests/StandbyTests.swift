import Foundation
import Testing

import PGTestServer

@Suite("TestServer standby", .serialized)
struct StandbyTests {
    @Test("a standby replays the primary's writes, refuses its own, and takes them once promoted")
    func standbyReplaysAndPromotes() async throws {
        let (primary, standby) = try await onOwnThread { () throws -> (TestServer, TestServer) in
            let primary = try TestServer.start()
            do { return (primary, try primary.startStandby()) } catch {
                try? primary.stop()
                throw error
            }
        }
        defer {
            try? standby.stop()
            try? primary.stop()
        }
        #expect(standby.port != primary.port)
        #expect(try standby.isInRecovery())
        #expect(try !primary.isInRecovery())
        try primary.psql("CREATE TABLE replicated (n int); INSERT INTO replicated VALUES (7)")
        try standby.waitForReplay(of: primary)
        #expect(try standby.psql("SELECT n FROM replicated") == "7")
        // The test users came with the copy and log in on the standby.
        let scram = standby.user(.scramSHA256)
        #expect(try standby.psql("SELECT current_user", user: scram.name, password: scram.password) == scram.name)
        #expect(throws: TestServerError.self) { try standby.psql("INSERT INTO replicated VALUES (8)") }

        try primary.stop()
        try standby.promote()
        #expect(try !standby.isInRecovery())
        try standby.psql("INSERT INTO replicated VALUES (8)")
        #expect(try standby.psql("SELECT sum(n) FROM replicated") == "15")

        let folder = standby.dataDirectory
        try standby.stop()
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
