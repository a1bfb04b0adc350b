import Foundation
import PGTestServer
import Testing

extension CLI {
    /// pgevents through PgBouncer in transaction mode: `pooler_mode=transaction` in the URL, and
    /// `--listen-url` (or `PGEVENTS_LISTEN_URL`) for what needs a session of its own.
    @Suite(
        .enabled(
            if: PgBouncer.testsShouldRun,
            "pgbouncer is not installed (apt-get install pgbouncer); PGEVENTS_REQUIRE_PGBOUNCER=1 makes this a failure"))
    struct PgBouncerCommandTests {
        @Test func commandsThroughThePoolerWithADirectListenURL() async throws {
            let server = try CLI.requireServer()
            let bouncer = try PgBouncer.start(for: server)
            defer { try? bouncer.stop() }
            let user = server.user(.md5)
            let credentials = "\(user.name):\(user.password ?? "")"
            let pooled = "postgresql://\(credentials)@\(bouncer.host):\(bouncer.port)/\(server.database)?sslmode=disable&pooler_mode=transaction"
            let direct = "postgresql://\(credentials)@\(server.host):\(server.port)/\(server.database)?sslmode=disable"
            let schema = CLI.freshSchema()
            func pgevents(_ arguments: [String], environment: [String: String] = PGEventsProcess.baseEnvironment) async throws
                -> PGEventsProcess.Result
            {
                try await PGEventsProcess.run(arguments + ["--url", pooled, "--schema", schema], environment: environment)
            }

            // migrate holds a session advisory lock: refused through the pooler alone, naming the option.
            let refused = try await pgevents(["migrate"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("--listen-url"), "\(refused.stderr)")

            let migrated = try await pgevents(["migrate", "--listen-url", direct])
            #expect(migrated.status == 0, "\(migrated.stderr)")
            for n in 0..<3 {
                let appended = try await pgevents(["append", "order-1", "--type", "Placed", "--data", #"{"n": \#(n)}"#])
                #expect(appended.status == 0, "\(appended.stderr)")
            }
            let read = try await pgevents(["read", "order-1"])
            #expect(read.status == 0, "\(read.stderr)")
            #expect(try read.jsonLines().count == 3)

            // tail LISTENs: through the pooler alone it fails at once; with PGEVENTS_LISTEN_URL
            // it follows (from the start, so it prints what is there and stops at the limit).
            let tailRefused = try await pgevents(["tail", "--limit", "1"])
            #expect(tailRefused.status != 0)
            #expect(tailRefused.stderr.contains("PGEVENTS_LISTEN_URL"), "\(tailRefused.stderr)")
            var environment = PGEventsProcess.baseEnvironment
            environment["PGEVENTS_LISTEN_URL"] = direct
            let tail = try await pgevents(["tail", "--from", "start", "--limit", "3"], environment: environment)
            #expect(tail.status == 0, "\(tail.stderr)")
            #expect(try tail.jsonLines().count == 3)
        }
    }
}
