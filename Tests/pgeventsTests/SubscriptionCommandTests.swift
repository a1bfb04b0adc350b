import Foundation
import PGEventStore
import Testing

extension CLI {
    /// `pgevents subscriptions`, `subscription reset` and the subscriptions in `status`, for
    /// subscriptions an application runs through the library.
    @Suite struct SubscriptionCommandTests {
        /// Runs the named subscription until it has handled `count` events, then stops it, which
        /// saves its checkpoint there. Returns the events handled.
        static func handle(
            _ count: Int, by name: String, filter: SubscriptionFilter = .all, in store: EventStore
        ) async throws -> [RecordedEvent] {
            let subscription = try store.subscribe(name, filter: filter)
            return try await CLI.bounded(.seconds(30)) {
                var seen: [RecordedEvent] = []
                for try await event in subscription {
                    seen.append(event)
                    if seen.count == count { subscription.stop() }
                }
                return seen
            }
        }

        @Test func listsASubscriptionWithItsCheckpointLagAndRunner() async throws {
            let schema = try await CLI.migratedSchema()
            let store = try CLI.store(schema)
            defer { Task { await store.close() } }
            try await store.append(to: "order-1", try CLI.events(5))
            try await store.append(to: "user-1", try CLI.events(2))
            let handled = try await Self.handle(3, by: "order-view", filter: .category("order"), in: store)
            let checkpoint = try #require(handled.last).globalPosition

            let json = try await CLI.run(["subscriptions", "--json"], schema: schema)
            #expect(json.status == 0, "\(json.stderr)")
            #expect(json.lines.count == 1)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
            let info = try #require(list.first { $0["name"] as? String == "order-view" })
            #expect(list.count == 1)
            #expect(info["partitions"] as? Int == 1)
            #expect(info["checkpoint"] as? String == checkpoint.description)
            #expect(info["checkpoint_position"] as? Int == Int(checkpoint.position))
            // Two order events after the checkpoint; the user events do not pass its filter.
            #expect(info["lag_events"] as? Int == 2)
            #expect((info["lag_seconds"] as? Double).map { $0 >= 0 } == true)
            #expect(info["runner_pids"] as? [Int] == [])
            #expect((info["filter"] as? [String: Any])?["categories"] as? [String] == ["order"])
            let shares = try #require(info["shares"] as? [[String: Any]])
            #expect(shares.count == 1)
            #expect(shares.first?["events_handled"] as? Int == 3)

            let text = try await CLI.run(["subscriptions"], schema: schema)
            #expect(text.status == 0)
            #expect(text.lines.first?.hasPrefix("NAME") == true)
            let row = try #require(text.lines.first { $0.hasPrefix("order-view ") })
            #expect(row.contains(checkpoint.description))
            #expect(row.split(separator: " ").contains("2"))
            #expect(row.hasSuffix("none"))

            // While a process runs it, its backend shows as the runner.
            let running = try store.subscribe("order-view", filter: .category("order"))
            let runner = Task {
                for try await _ in running {}
            }
            defer { running.stop() }
            try await CLI.waitUntil(.seconds(30)) {
                try await store.subscriptions().first { $0.name == "order-view" }?.runnerPIDs.isEmpty == false
            }
            let pid = try #require(try await store.subscriptions().first { $0.name == "order-view" }?.runnerPIDs.first)
            let whileRunning = try await CLI.run(["subscriptions", "--json"], schema: schema)
            let runningInfo = try #require(
                (try JSONSerialization.jsonObject(with: Data(whileRunning.stdout.utf8)) as? [[String: Any]])?.first)
            #expect(runningInfo["runner_pids"] as? [Int] == [Int(pid)])
            #expect(try await CLI.run(["subscriptions"], schema: schema).stdout.contains("pid \(pid)"))
            running.stop()
            try await CLI.bounded(.seconds(30)) { try await runner.value }
        }

        @Test func anEmptyListSaysSo() async throws {
            let schema = try await CLI.migratedSchema()
            let text = try await CLI.run(["subscriptions"], schema: schema)
            #expect(text.status == 0)
            #expect(text.stdout == "no subscriptions in schema \(schema)\n")
            #expect(try await CLI.run(["subscriptions", "--json"], schema: schema).stdout == "[]\n")
        }

        @Test func resetMovesTheCheckpointToEachKindOfPlace() async throws {
            let schema = try await CLI.migratedSchema()
            let store = try CLI.store(schema)
            defer { Task { await store.close() } }
            try await store.append(to: "r-1", try CLI.events(4))
            let handled = try await Self.handle(4, by: "replayer", in: store)
            func current() async throws -> SubscriptionInfo {
                try #require(try await store.subscriptions().first { $0.name == "replayer" })
            }
            // Caught up, its checkpoint is the read barrier it has handled everything below.
            let caughtUp = try await current().checkpoint
            #expect(caughtUp >= handled[3].globalPosition)

            let toStart = try await CLI.run(["subscription", "reset", "replayer", "--to", "start"], schema: schema)
            #expect(toStart.status == 0, "\(toStart.stderr)")
            #expect(toStart.stdout.contains("reset to 0/0"))
            #expect(toStart.stdout.contains("was \(caughtUp)"))
            #expect(try await current().checkpoint == .start)
            #expect(try await current().lagEvents == 4)

            let toPosition = try await CLI.run(
                ["subscription", "reset", "replayer", "--to", String(handled[1].position)], schema: schema)
            #expect(toPosition.status == 0, "\(toPosition.stderr)")
            #expect(try await current().checkpoint == handled[1].globalPosition)
            #expect(try await current().lagEvents == 2)

            let toPlace = try await CLI.run(
                ["subscription", "reset", "replayer", "--to", handled[0].globalPosition.description], schema: schema)
            #expect(toPlace.status == 0, "\(toPlace.stderr)")
            #expect(try await current().checkpoint == handled[0].globalPosition)

            let toEnd = try await CLI.run(["subscription", "reset", "replayer", "--to", "end"], schema: schema)
            #expect(toEnd.status == 0, "\(toEnd.stderr)")
            #expect(try await current().checkpoint > handled[3].globalPosition)
            #expect(try await current().lagEvents == 0)

            // The subscription picks up after the reset place.
            _ = try await CLI.run(["subscription", "reset", "replayer", "--to", String(handled[2].position)], schema: schema)
            let again = try await Self.handle(1, by: "replayer", in: store)
            #expect(again.map(\.id) == [handled[3].id])
        }

        @Test func resettingAnUnknownSubscriptionOrToAMissingEventFails() async throws {
            let schema = try await CLI.migratedSchema()
            let unknown = try await CLI.run(["subscription", "reset", "nope", "--to", "start"], schema: schema)
            #expect(unknown.status == 1)
            #expect(unknown.stdout.isEmpty)
            #expect(unknown.stderr == "pgevents: error: no subscription named \"nope\" in schema \(schema) (`pgevents subscriptions` lists them)\n")

            let store = try CLI.store(schema)
            defer { Task { await store.close() } }
            try await store.append(to: "m-1", try CLI.events(1))
            _ = try await Self.handle(1, by: "kept", in: store)
            let before = try #require(try await store.subscriptions().first?.checkpoint)
            let missing = try await CLI.run(["subscription", "reset", "kept", "--to", "987654"], schema: schema)
            #expect(missing.status == 1)
            #expect(missing.stderr.split(separator: "\n").count == 1)
            #expect(missing.stderr.contains("no event at position 987654"))
            #expect(try await store.subscriptions().first?.checkpoint == before)
        }

        @Test func statusShowsSubscriptionsWithTheirLag() async throws {
            let schema = try await CLI.migratedSchema()
            let store = try CLI.store(schema)
            defer { Task { await store.close() } }
            try await store.append(to: "s-1", try CLI.events(3))
            _ = try await Self.handle(1, by: "status-view", in: store)

            let json = try await CLI.run(["status", "--json"], schema: schema)
            #expect(json.status == 0, "\(json.stderr)")
            let status = try #require(try json.jsonLines().first)
            let subscriptions = try #require(status["subscriptions"] as? [[String: Any]])
            #expect(subscriptions.map { $0["name"] as? String } == ["status-view"])
            #expect(subscriptions.first?["lag_events"] as? Int == 2)

            let text = try await CLI.run(["status"], schema: schema)
            #expect(text.lines.contains { $0.hasPrefix("subscriptions:") && $0.hasSuffix(" 1") })
            let row = try #require(text.lines.first { $0.hasPrefix("  status-view ") })
            #expect(row.split(separator: " ").contains("2"))
            #expect(text.stdout.contains("barrier holder:"))
        }
    }
}
