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

        @Test func readmeNotificationExampleRuns() async throws {
            let server = try Integration.requireServer()
            let url = "postgresql://postgres@127.0.0.1:\(server.port)/postgres"
            let listener = PGListener(configuration: try .init(connectionString: url, environment: [:]))
            let orders = try await listener.listen("orders")
            let printed = Task {
                var lines: [String] = []
                for try await notification in orders {
                    lines.append(notification.payload)
                    if lines.count == 2 { break }
                }
                return lines
            }
            let sender = try await PGConnection.connect(try .init(connectionString: url, environment: [:]))
            _ = try await sender.simpleQuery("NOTIFY orders, 'placed'; NOTIFY orders, 'paid'")
            #expect(try await printed.value == ["placed", "paid"])
            await sender.close()
            await listener.close()
        }
    }
}
