import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension CLI {
    /// `pgevents tail`: live events from other processes, --from, filters, --limit and signals.
    @Suite struct TailCommandTests {
        /// Appends an event to `live-1` (and first one to `other-1`, which the filter must
        /// skip) through `pgevents append` until the tail has printed `lines` lines, since the
        /// tail only sees events that commit after it started following. Returns the ids of
        /// the `live-1` events appended.
        static func appendUntilPrinted(
            _ tail: BackgroundPGEvents, lines: Int, schema: String, timeout: Duration = .seconds(60)
        ) async throws -> [String] {
            let deadline = ContinuousClock.now + timeout
            var ids: [String] = []
            while ContinuousClock.now < deadline {
                let other = try await CLI.run(["append", "other-1", "--type", "Ignored", "--data", "{}"], schema: schema)
                #expect(other.status == 0, "\(other.stderr)")
                let id = UUID().uuidString.lowercased()
                let appended = try await CLI.run(
                    ["append", "live-1", "--type", "Arrived", "--data", #"{"n": \#(ids.count)}"#, "--event-id", id], schema: schema)
                #expect(appended.status == 0, "\(appended.stderr)")
                ids.append(id)
                if try await tail.waitForLines(lines, timeout: .seconds(2)) || !tail.isRunning { break }
            }
            return ids
        }

        @Test func printsAnEventAppendedByAnotherProcessAndExitsAfterTheLimit() async throws {
            let schema = try await CLI.migratedSchema()
            let tail = try BackgroundPGEvents(["tail", "--category", "live", "--limit", "1", "--url", try CLI.url(), "--schema", schema])
            let ids = try await Self.appendUntilPrinted(tail, lines: 1, schema: schema)
            let status = try await tail.waitForExit(timeout: .seconds(20))
            #expect(status == 0, "\(tail.stderr)")
            let lines = try tail.jsonLines()
            #expect(lines.count == 1)
            let event = try #require(lines.first)
            let id = try #require(event["id"] as? String)
            #expect(ids.contains(id))
            #expect(event["stream"] as? String == "live-1")
            #expect(event["type"] as? String == "Arrived")
            #expect(event["position"] as? Int != nil)
            #expect(event["transaction_id"] as? Int != nil)
        }

        /// Each line reaches the pipe as it comes (not when the buffer fills or the process
        /// ends), and the first SIGINT or SIGTERM ends the tail cleanly with status 0.
        @Test(arguments: [SIGINT, SIGTERM])
        func linesArriveAtOnceAndASignalStopsItCleanly(_ signal: Int32) async throws {
            let schema = try await CLI.migratedSchema()
            let tail = try BackgroundPGEvents(["tail", "--stream", "live-1", "--url", try CLI.url(), "--schema", schema])
            let ids = try await Self.appendUntilPrinted(tail, lines: 1, schema: schema)
            #expect(tail.isRunning, "tail ended before it was interrupted: \(tail.stderr)")
            let printed = try tail.jsonLines()
            #expect(printed.count == 1)
            #expect(printed.first.flatMap { $0["id"] as? String }.map(ids.contains) == true)

            tail.signal(signal)
            let status = try await tail.waitForExit(timeout: .seconds(20))
            #expect(status == 0, "\(tail.stderr)")
            #expect(tail.stderr.isEmpty)
        }

        @Test func fromStartPrintsExistingEventsInOrderWithFilters() async throws {
            let schema = try await CLI.migratedSchema()
            let orders = #"{"type": "Placed", "data": {}}"# + "\n" + #"{"type": "Paid", "data": {}}"# + "\n"
                + #"{"type": "Placed", "data": {"again": true}}"# + "\n"
            #expect(try await CLI.run(["append", "order-1", "--file", "-"], schema: schema, stdin: orders).status == 0)
            #expect(try await CLI.run(["append", "invoice-1", "--type", "Placed", "--data", "{}"], schema: schema).status == 0)
            #expect(try await CLI.run(["append", "order-2", "--type", "Placed", "--data", "{}"], schema: schema).status == 0)
            let all = try await CLI.run(["read-all"], schema: schema).jsonLines()
            #expect(all.count == 5)
            let ids = all.map { $0["id"] as? String ?? "" }

            let placedOrders = try await CLI.run(
                ["tail", "--from", "start", "--category", "order", "--type", "Placed", "--limit", "3"], schema: schema)
            #expect(placedOrders.status == 0, "\(placedOrders.stderr)")
            #expect(try placedOrders.jsonLines().map { $0["id"] as? String } == [ids[0], ids[2], ids[4]])

            let oneStream = try await CLI.run(["tail", "--from", "start", "--stream", "order-1", "--limit", "3"], schema: schema)
            #expect(try oneStream.jsonLines().map { $0["id"] as? String } == Array(ids[0..<3]))

            // After a place: a plain position and TXID/POSITION name the same start.
            let second = all[1]
            let position = try #require(second["position"] as? Int)
            let place = "\(second["transaction_id"] as? Int ?? -1)/\(position)"
            for from in [String(position), place] {
                let rest = try await CLI.run(["tail", "--from", from, "--limit", "3"], schema: schema)
                #expect(rest.status == 0, "\(rest.stderr)")
                #expect(try rest.jsonLines().map { $0["id"] as? String } == Array(ids[2...]), "--from \(from)")
            }
        }

        @Test func aPositionWithoutAnEventIsAnError() async throws {
            let schema = try await CLI.migratedSchema()
            let result = try await CLI.run(["tail", "--from", "424242", "--limit", "1"], schema: schema)
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains("no event at position 424242"))
        }
    }
}
