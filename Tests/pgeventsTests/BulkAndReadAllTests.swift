import Foundation
import Testing

extension CLI {
    /// `append --file` and `read-all` with its filters and both forms of `--from`.
    @Suite struct BulkAndReadAllTests {
        /// `count` JSON lines, as `append --file` takes them.
        static func lines(_ count: Int, type: (Int) -> String = { _ in "Counted" }) -> String {
            (0..<count).map { #"{"type": "\#(type($0))", "data": {"n": \#($0)}, "metadata": {"source": "test"}}"# }
                .joined(separator: "\n") + "\n"
        }

        @Test func aThousandLinesFromAFileGoInOneAppend() async throws {
            let schema = try await CLI.migratedSchema()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("pgevents-\(UUID().uuidString).jsonl")
            try Self.lines(1_000).write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }

            let appended = try await CLI.run(["append", "bulk-1", "--file", file.path, "--expected", "no-stream"], schema: schema)
            #expect(appended.status == 0, "\(appended.stderr)")
            let result = try #require(try appended.jsonLines().first)
            #expect(result["version"] as? Int == 1_000)
            let positions = try #require(result["positions"] as? [Int])
            #expect(positions.count == 1_000)
            #expect(positions == positions.sorted())

            let read = try await CLI.run(["read", "bulk-1"], schema: schema)
            let events = try read.jsonLines()
            #expect(events.count == 1_000)
            #expect(events.map { $0["version"] as? Int } == (1...1_000).map { $0 })
            #expect((events[999]["data"] as? [String: Any])?["n"] as? Int == 999)
            #expect((events[0]["metadata"] as? [String: Any])?["source"] as? String == "test")
        }

        @Test func standardInputWorksAndReadOutputCanBeAppendedAgain() async throws {
            let schema = try await CLI.migratedSchema()
            let input = #"{"type": "A", "data": [1, 2], "id": "0190f3b4-5c2e-7d11-8a3b-000000000001"}"# + "\n\n"
                + #"{"type": "B", "data": null, "metadata": null}"# + "\n"
            let appended = try await CLI.run(["append", "piped-1", "--file", "-"], schema: schema, stdin: input)
            #expect(appended.status == 0, "\(appended.stderr)")
            #expect(try appended.jsonLines().first?["version"] as? Int == 2)

            let read = try await CLI.run(["read", "piped-1"], schema: schema)
            #expect(read.lines.first?.contains("0190f3b4-5c2e-7d11-8a3b-000000000001") == true)
            // read's lines carry id, type, data and metadata: another store takes them as they are.
            let other = try await CLI.migratedSchema()
            let copied = try await CLI.run(["append", "piped-1", "--file", "-"], schema: other, stdin: read.stdout)
            #expect(copied.status == 0, "\(copied.stderr)")
            #expect(try await CLI.run(["read", "piped-1"], schema: other).lines.count == 2)
        }

        @Test func aBadLineIsNamedAndNothingIsWritten() async throws {
            let schema = try await CLI.migratedSchema()
            let input = Self.lines(2) + #"{"type": "T"}"# + "\n" + Self.lines(1)
            let result = try await CLI.run(["append", "bad-1", "--file", "-"], schema: schema, stdin: input)
            #expect(result.status == 1)
            #expect(result.stderr == "pgevents: error: stdin, line 3: \"data\" is missing\n")
            #expect(try await CLI.run(["read", "bad-1"], schema: schema).lines.isEmpty)
        }

        @Test func readAllFiltersAndStartsAfterBothFormsOfPosition() async throws {
            let schema = try await CLI.migratedSchema()
            #expect(try await CLI.run(["append", "order-1", "--file", "-"], schema: schema, stdin: Self.lines(3) { $0 == 1 ? "Paid" : "Placed" }).status == 0)
            #expect(try await CLI.run(["append", "invoice-1", "--file", "-"], schema: schema, stdin: Self.lines(2) { _ in "Paid" }).status == 0)
            #expect(try await CLI.run(["append", "order-2", "--type", "Placed", "--data", "{}"], schema: schema).status == 0)

            let all = try await CLI.run(["read-all"], schema: schema).jsonLines()
            #expect(all.count == 6)
            let places = all.map { "\($0["transaction_id"] as? Int ?? -1)/\($0["position"] as? Int ?? -1)" }

            let third = all[2]
            let position = try #require(third["position"] as? Int)
            let byPosition = try await CLI.run(["read-all", "--from", String(position)], schema: schema)
            #expect(byPosition.status == 0, "\(byPosition.stderr)")
            let byPlace = try await CLI.run(["read-all", "--from", places[2]], schema: schema)
            #expect(byPlace.status == 0)
            #expect(byPosition.stdout == byPlace.stdout)
            #expect(try byPlace.jsonLines().map { $0["id"] as? String } == all[3...].map { $0["id"] as? String })

            #expect(try await CLI.run(["read-all", "--from", "0"], schema: schema).lines.count == 6)
            #expect(try await CLI.run(["read-all", "--from", places[5]], schema: schema).stdout.isEmpty)
            let missing = try await CLI.run(["read-all", "--from", "999999"], schema: schema)
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("no event at position 999999"))

            let orders = try await CLI.run(["read-all", "--category", "order"], schema: schema).jsonLines()
            #expect(Set(orders.compactMap { $0["stream"] as? String }) == ["order-1", "order-2"])
            let paid = try await CLI.run(["read-all", "--type", "Paid"], schema: schema).jsonLines()
            #expect(paid.count == 3)
            let both = try await CLI.run(["read-all", "--category", "order", "--type", "Paid", "--type", "Placed"], schema: schema)
            #expect(both.lines.count == 4)
            #expect(try await CLI.run(["read-all", "--limit", "2"], schema: schema).lines.count == 2)
        }
    }
}
