import Foundation
import PGWire
import Synchronization
import Testing

/// A flag one task sets and others poll.
final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

extension Integration {
    /// LISTEN/NOTIFY against the server: delivery in every state of the connection, sharing,
    /// UNLISTEN when the last listener goes, and how sequences end.
    @Suite struct NotificationTests {
        /// Collects `count` notifications from `sequence`, or fails after `timeout` with what came.
        static func collect(
            _ sequence: PGNotificationSequence, count: Int, timeout: Duration = .seconds(20)
        ) async throws -> [PGNotification] {
            let consumer = Task {
                var received: [PGNotification] = []
                for try await notification in sequence {
                    received.append(notification)
                    if received.count == count { break }
                }
                return received
            }
            let watchdog = Task {
                try await Task.sleep(for: timeout)
                consumer.cancel()
            }
            defer { watchdog.cancel() }
            let received = try await consumer.value
            #expect(received.count == count, "received \(received.count) of \(count) notifications")
            return received
        }

        /// Waits until `condition` holds, polling, for at most `timeout`.
        static func notify(_ connection: PGConnection, _ channel: String, _ payloads: some Sequence<String>) async throws {
            for payload in payloads {
                _ = try await connection.execute("SELECT pg_notify($1, $2)", [channel, payload])
            }
        }

        @Test func deliversSenderChannelAndPayload() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            // A channel no other test uses: the suites share one server and run in parallel.
            let orders = try await listener.listen("deliveries")
            #expect(orders.channel == "deliveries")
            _ = try await sender.simpleQuery("NOTIFY deliveries, 'first'; NOTIFY deliveries")
            let received = try await Self.collect(orders, count: 2)
            #expect(received.map(\.payload) == ["first", ""])
            #expect(received.allSatisfy { $0.channel == "deliveries" && $0.processID == sender.processID })
        }

        @Test func channelNamesAreQuotedIdentifiers() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            let name = "Mixed Case \"quoted\"; DROP TABLE x"
            let odd = try await listener.listen(name)
            let lower = try await listener.listen("mixed case")
            try await Self.notify(sender, name, ["exact"])
            try await Self.notify(sender, "mixed case", ["lower"])
            #expect(try await Self.collect(odd, count: 1).map(\.payload) == ["exact"])
            #expect(try await Self.collect(lower, count: 1).map(\.payload) == ["lower"])
            #expect(try await listener.listeningChannels().contains(name))
            // A quote followed by a combining mark is one Character; it must still be escaped.
            let combining = "q\"\u{301}x"
            let marked = try await listener.listen(combining)
            try await Self.notify(sender, combining, ["marked"])
            #expect(try await Self.collect(marked, count: 1).map(\.payload) == ["marked"])
        }

        @Test func rejectsNamesTheServerWouldTruncateAndListenInsideATransaction() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let long = await #expect(throws: PGError.self) { try await connection.listen(String(repeating: "x", count: 64)) }
            #expect(long?.code == .invalidArgument)
            _ = try await connection.listen(String(repeating: "é", count: 31))  // 62 bytes: fine
            _ = try await connection.simpleQuery("BEGIN")
            let inTransaction = await #expect(throws: PGError.self) { try await connection.listen("later") }
            #expect(inTransaction?.code == .invalidArgument)
            _ = try await connection.simpleQuery("ROLLBACK")
        }

        @Test func fiftyChannelsShareOneConnection() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            var sequences: [PGNotificationSequence] = []
            for index in 0..<50 { sequences.append(try await listener.listen("channel_\(index)")) }
            // A second listener on some channels: both get every notification of theirs.
            let twin = try await listener.listen("channel_7")
            #expect(try await listener.listeningChannels().count == 50)
            for round in 0..<3 {
                for index in 0..<50 { try await Self.notify(sender, "channel_\(index)", ["\(index):\(round)"]) }
            }
            for (index, sequence) in sequences.enumerated() {
                let payloads = try await Self.collect(sequence, count: 3).map(\.payload)
                #expect(payloads == (0..<3).map { "\(index):\($0)" })
            }
            #expect(try await Self.collect(twin, count: 3).map(\.payload) == ["7:0", "7:1", "7:2"])
            // Only the listening connection's backend is counted, once per channel.
            let backends = try await sender.query(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [listener.processID ?? 0]
            ).collect()
            #expect(try backends[0].decode(Int.self, at: 0) == 1)
        }

        @Test func notificationsInterleavedWithALargeResultAndPipelinedQueriesArriveInOrder() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            let events = try await listener.listen("interleaved")
            let count = 300
            let sending = Task { try await Self.notify(sender, "interleaved", (1...count).map(String.init)) }
            // Meanwhile the listening connection is busy: a 100,000-row result, then pipelined
            // queries from several tasks; the notifications arrive between their answers.
            var sum = 0
            for try await row in try await listener.query("SELECT i, repeat('x', 50) FROM generate_series(1, 100000) AS i") {
                sum += try row.decode(Int.self, at: 0)
            }
            #expect(sum == 100_000 * 100_001 / 2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<4 {
                    group.addTask {
                        for i in 0..<200 {
                            let value = task * 1000 + i
                            let rows = try await listener.query("SELECT $1::int8", [value]).collect()
                            #expect(try rows[0].decode(Int.self, at: 0) == value)
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await sending.value
            let received = try await Self.collect(events, count: count)
            #expect(received.map(\.payload) == (1...count).map(String.init))
        }

        /// Notifications that arrive in the same read as a query's ReadyForQuery must not wait in
        /// the buffer for the next query: once the queries stop, every notification is delivered
        /// while the connection sits idle.
        @Test func notificationsBehindTheLastAnswerAreNotLeftInTheBuffer() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            let events = try await listener.listen("behind")
            for round in 0..<5 {
                let count = 400
                let done = Flag()
                let sending = Task {
                    defer { done.set() }
                    try await Self.notify(sender, "behind", (1...count).map { "\(round):\($0)" })
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            while !done.isSet { _ = try await listener.query("SELECT 1").collect() }
                        }
                    }
                    try await group.waitForAll()
                }
                try await sending.value
                let received = try await Self.collect(events, count: count, timeout: .seconds(20))
                #expect(received.map(\.payload) == (1...count).map { "\(round):\($0)" })
                if received.count != count { return }
            }
        }

        @Test func notificationsDuringCopyInAndCopyOutArriveInOrder() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            _ = try await listener.simpleQuery("CREATE TEMP TABLE copied (id int8, note text)")
            let events = try await listener.listen("copying")
            let count = 200
            let sending = Task { try await Self.notify(sender, "copying", (1...count).map(String.init)) }
            let written = try await listener.copyIn(table: "copied", columns: ["id", "note"]) { writer in
                for id in 0..<150_000 { try await writer.writeRow(id, "row \(id)") }
            }
            #expect(written == 150_000)
            var chunks = 0
            for try await chunk in try await listener.copyOut("COPY copied TO STDOUT") { chunks += chunk.isEmpty ? 0 : 1 }
            #expect(chunks > 0)
            _ = try await listener.copyIn(table: "copied", columns: ["id", "note"]) { writer in
                for id in 0..<50_000 { try await writer.writeRow(id, "again") }
            }
            try await sending.value
            let received = try await Self.collect(events, count: count)
            #expect(received.map(\.payload) == (1...count).map(String.init))
            let rows = try await listener.query("SELECT count(*) FROM copied").collect()
            #expect(try rows[0].decode(Int.self, at: 0) == 200_000)
        }

        @Test func anIdleListenerWakesOnTheSocketWithoutQueryingTheServer() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            let idle = try await listener.listen("idle")
            let pid = try #require(listener.processID)
            func lastQuery() async throws -> (String, String) {
                let rows = try await sender.query(
                    "SELECT state, query_start::text FROM pg_stat_activity WHERE pid = $1", [pid]
                ).collect()
                return try rows[0].decode((String, String).self)
            }
            let before = try await lastQuery()
            try await Task.sleep(for: .milliseconds(700))
            let after = try await lastQuery()
            // Nothing was sent on the listening connection while it waited.
            #expect(before.0 == "idle" && after == before)
            try await Self.notify(sender, "idle", ["wake"])
            #expect(try await Self.collect(idle, count: 1, timeout: .seconds(5)).map(\.payload) == ["wake"])
            // Its other queries keep working while it listens.
            let rows = try await listener.query("SELECT 41 + 1").collect()
            #expect(try rows[0].decode(Int.self, at: 0) == 42)
            try await Self.notify(sender, "idle", ["again"])
            #expect(try await Self.collect(idle, count: 1, timeout: .seconds(5)).map(\.payload) == ["again"])
        }

        @Test func unlistensOnceTheLastListenerOfAChannelIsGone() async throws {
            let listener = try await Integration.connect()
            defer { Task { await listener.close() } }
            let first = try await listener.listen("shared")
            let second = try await listener.listen("shared")
            let other = try await listener.listen("other")
            await first.stop()
            #expect(try await listener.listeningChannels() == ["other", "shared"])
            await second.stop()
            #expect(try await listener.listeningChannels() == ["other"])
            // Cancelling the iterating task ends the listener too.
            let consumer = Task { for try await _ in other {} }
            try await Task.sleep(for: .milliseconds(50))
            consumer.cancel()
            _ = try await consumer.value
            #expect(try await Integration.eventually { try await listener.listeningChannels().isEmpty })
            // A sequence dropped without iterating ends with its last reference.
            do { _ = try await listener.listen("dropped") }
            #expect(try await Integration.eventually { try await listener.listeningChannels().isEmpty })
        }

        @Test func aTerminatedBackendEndsEverySequenceWithAnError() async throws {
            let listener = try await Integration.connect()
            let admin = try await Integration.connect()
            defer { Task { await listener.close(); await admin.close() } }
            let a = try await listener.listen("a")
            let b = try await listener.listen("b")
            try await Self.notify(admin, "a", ["before"])
            #expect(try await Self.collect(a, count: 1).map(\.payload) == ["before"])
            _ = try await admin.execute("SELECT pg_terminate_backend($1)", [listener.processID ?? 0])
            for sequence in [a, b] {
                let error = await #expect(throws: PGError.self) {
                    for try await _ in sequence {}
                }
                #expect(error?.code == .serverClosedConnection)
                #expect(error?.message.contains("notifications may have been missed") == true)
                #expect(error?.message.contains("terminating connection") == true)
            }
            #expect(listener.isClosed)
            let again = await #expect(throws: PGError.self) { try await listener.listen("a") }
            #expect(again?.code == .closed || again?.code == .serverClosedConnection)
        }

        @Test func closingTheConnectionEndsSequencesWithClosed() async throws {
            let listener = try await Integration.connect()
            let sequence = try await listener.listen("closing")
            await listener.close()
            let error = await #expect(throws: PGError.self) { for try await _ in sequence {} }
            #expect(error?.code == .closed)
        }

        @Test func aSlowConsumerGetsWhatWasBufferedThenBufferFull() async throws {
            let listener = try await Integration.connect()
            let sender = try await Integration.connect()
            defer { Task { await listener.close(); await sender.close() } }
            let slow = try await listener.listen("slow", bufferLimit: 5)
            let fast = try await listener.listen("slow")
            // Twenty notifications in one transaction arrive together, before anyone reads.
            var script = "BEGIN;"
            for i in 1...20 { script += " NOTIFY slow, '\(i)';" }
            _ = try await sender.simpleQuery(script + " COMMIT")
            #expect(try await Self.collect(fast, count: 20).map(\.payload) == (1...20).map(String.init))
            var received: [String] = []
            let error = await #expect(throws: PGError.self) {
                for try await notification in slow { received.append(notification.payload) }
            }
            #expect(error?.code == .notificationBufferFull)
            #expect(received == ["1", "2", "3", "4", "5"])
            // The other listener of the channel is untouched.
            try await Self.notify(sender, "slow", ["21"])
            #expect(try await Self.collect(fast, count: 1).map(\.payload) == ["21"])
        }
    }
}
