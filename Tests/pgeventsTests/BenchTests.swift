import Foundation
import PGTestServer
import Testing

extension CLI {
    /// A short `pgevents bench` in both output forms.
    @Suite struct BenchTests {
        @Test func aShortBenchPrintsOneJSONLineAndCleansUp() async throws {
            let schema = try await CLI.migratedSchema()
            #expect(try await CLI.run(["append", "keep-1", "--type", "T", "--data", "{}"], schema: schema).status == 0)
            let result = try await CLI.run(["bench", "--events", "2000", "--streams", "20", "--json"], schema: schema)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.lines.count == 1)
            let report = try #require(try result.jsonLines().first)
            #expect(report["events"] as? Int == 2_000)
            #expect(report["streams"] as? Int == 20)
            #expect(report["batch"] as? Int == 1_000)
            #expect(report["schema"] as? String == schema + "_bench")
            let append = try #require(report["append"] as? [String: Any])
            #expect(append["events"] as? Int == 2_000)
            #expect(append["batches"] as? Int == 2)
            #expect((append["events_per_second"] as? Double ?? 0) > 0)
            #expect(append["batch_p99_ms"] as? Double != nil)
            let read = try #require(report["read"] as? [String: Any])
            #expect(read["rows"] as? Int == 2_000)
            // Not a terminal: no progress bar.
            #expect(!result.stderr.contains("["))

            let server = try CLI.requireServer()
            #expect(try server.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '\(schema)_bench'") == "0")
            #expect(try await CLI.run(["status", "--json"], schema: schema).jsonLines().first?["event_count"] as? Int == 1)
        }

        @Test func parallelWritersAndTheTable() async throws {
            let schema = CLI.freshSchema()
            let result = try await CLI.run(
                ["bench", "--events", "2000", "--streams", "20", "--writers", "2", "--batch", "250", "--keep"], schema: schema)
            #expect(result.status == 0, "\(result.stderr)")
            for text in ["2,000 events", "2 writers", "events/s", "client CPU s", "batch p99 ms", "append", "read"] {
                #expect(result.stdout.contains(text), "the table lacks \(text)")
            }
            // Every stream holds its events at versions 1...100, each written once.
            let server = try CLI.requireServer()
            let heads = try server.psql(
                "SELECT count(*), min(version), max(version) FROM \(schema)_bench.streams; "
                    + "SELECT count(DISTINCT (stream_name, stream_version)) FROM \(schema)_bench.events")
            #expect(heads == "20|100|100\n2000")
            try server.psql("DROP SCHEMA \(schema)_bench CASCADE")
        }
    }
}
