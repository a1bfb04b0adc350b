import Synchronization
import PGTestServer
import PGWire
import Testing

extension Integration {
    /// The README's example, line for line but for the connection string, so it stays true.
    @Suite struct ReadmeExampleTests {
        @Test func readmeExampleRuns() async throws {
            let server = try Integration.requireServer()
            let connection = try await PGConnection.connect(
                try .init(connectionString: "postgresql://postgres@127.0.0.1:\(server.port)/postgres", environment: [:]))
            try await connection.execute("CREATE TEMP TABLE greetings (id int8, text text)")
            let inserted = try await connection.copyIn(table: "greetings", columns: ["id", "text"]) { writer in
                for (id, text) in [(1, "hello"), (2, "world")] { try await writer.writeRow(id, text) }
            }
            let minimum = 1
            var printed: [String] = []
            for try await row in try await connection.query("SELECT id, text FROM greetings WHERE id >= \(minimum)") {
                let (id, text) = try row.decode((Int, String).self)
                printed.append("\(id) \(text)")
            }
            await connection.close()
            #expect(inserted == 2)
            #expect(printed == ["1 hello", "2 world"])
        }

        /// The README's loop: it prints, survives a lost connection by listening again (the
        /// listener reconnects), and ends when the listener is closed.
        @Test func readmeNotificationExampleRuns() async throws {
            let server = try Integration.requireServer()
            let url = "postgresql://postgres@127.0.0.1:\(server.port)/postgres"
            let listener = PGListener(
                configuration: try .init(connectionString: url, environment: [:]),
                backoff: ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
            let printed = Printed()
            let consumer = Task {
                while true {
                    do {
                        for try await notification in try await listener.listen("orders") { printed.append(notification.payload) }
                    } catch let error as PGError where error.code == .closed {
                        return
                    } catch {
                        printed.append("missing: \((error as? PGError)?.code.description ?? "other")")
                    }
                }
            }
            let sender = try await PGConnection.connect(try .init(connectionString: url, environment: [:]))
            try await sendUntilPrinted(sender, "placed", printed)
            // The listener's backend goes away: the loop reports it and listens again.
            let pid = try #require(listener.processID)
            _ = try await sender.simpleQuery("SELECT pg_terminate_backend(\(pid))")
            try await sendUntilPrinted(sender, "paid", printed)
            await listener.close()
            await consumer.value  // returns: the close ended the loop
            let lines = printed.lines
            #expect(lines.first == "placed" && lines.last == "paid")
            #expect(lines.contains { $0.hasPrefix("missing: ") })
            await sender.close()
        }

        /// NOTIFYs `payload` until the consumer has printed it (the listener may still be
        /// reconnecting, and a notification sent before its LISTEN is not delivered).
        private func sendUntilPrinted(_ sender: PGConnection, _ payload: String, _ printed: Printed) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while !printed.lines.contains(payload) {
                guard ContinuousClock.now < deadline else {
                    Issue.record("\(payload) was never printed: \(printed.lines)")
                    return
                }
                _ = try await sender.simpleQuery("NOTIFY orders, '\(payload)'")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

/// What the README's notification loop printed, shared with the test.
final class Printed: Sendable {
    private let state = Mutex<[String]>([])
    func append(_ line: String) { state.withLock { $0.append(line) } }
    var lines: [String] { state.withLock { $0 } }
}
