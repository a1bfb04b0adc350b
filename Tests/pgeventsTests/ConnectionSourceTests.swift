import Foundation
import PGTestServer
import Testing

extension CLI {
    /// DATABASE_URL and the PG* environment, and what wins over what, through real logins.
    @Suite struct ConnectionSourceTests {
        @Test func databaseURLIsUsedWithoutURL() async throws {
            let server = try CLI.requireServer()
            let user = server.user(.md5)
            var environment = PGEventsProcess.baseEnvironment
            environment["DATABASE_URL"] = "postgresql://\(user.name):\(user.password ?? "")@127.0.0.1:\(server.port)/postgres"
            let schema = CLI.freshSchema()
            let result = try await PGEventsProcess.run(["migrate", "--schema", schema], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try server.psql("SELECT nspowner::regrole FROM pg_namespace WHERE nspname = '\(schema)'") == user.name)
        }

        @Test func thePGEnvironmentIsUsedWhenItNamesAServer() async throws {
            let server = try CLI.requireServer()
            let user = server.user(.password)
            var environment = PGEventsProcess.baseEnvironment
            environment["PGHOST"] = "127.0.0.1"
            environment["PGPORT"] = String(server.port)
            environment["PGUSER"] = user.name
            environment["PGPASSWORD"] = user.password
            environment["PGDATABASE"] = "postgres"
            let schema = CLI.freshSchema()
            let result = try await PGEventsProcess.run(["status", "--json", "--schema", schema], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try result.jsonLines().first?["server"] as? String == "127.0.0.1:\(server.port)")
        }

        @Test func urlBeatsDatabaseURLWhichBeatsThePGEnvironment() async throws {
            let server = try CLI.requireServer()
            var environment = PGEventsProcess.baseEnvironment
            environment["PGHOST"] = "127.0.0.1"
            environment["PGPORT"] = "1"  // nothing listens there
            environment["DATABASE_URL"] = try CLI.url()
            let viaDatabaseURL = try await PGEventsProcess.run(["status", "--json", "--schema", "x"], environment: environment)
            #expect(viaDatabaseURL.status == 0, "\(viaDatabaseURL.stderr)")
            #expect(try viaDatabaseURL.jsonLines().first?["server"] as? String == "127.0.0.1:\(server.port)")

            environment["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/postgres"
            let viaURL = try await PGEventsProcess.run(["status", "--schema", "x", "--url", try CLI.url()], environment: environment)
            #expect(viaURL.status == 0, "\(viaURL.stderr)")
            let viaBrokenDatabaseURL = try await PGEventsProcess.run(["status", "--schema", "x"], environment: environment)
            #expect(viaBrokenDatabaseURL.status == 1)
            #expect(viaBrokenDatabaseURL.stderr.contains("127.0.0.1:1"))
        }
    }
}
