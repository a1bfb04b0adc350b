import PGEventStore
import PGTestServer
import PGWire
import Testing

extension StoreIntegration {
    /// The README's store example, line for line but for the connection string and a schema of
    /// its own, so it stays true.
    @Suite struct ReadmeStoreExampleTests {
        @Test func readmeStoreExampleRuns() async throws {
            let server = try StoreIntegration.requireServer()
            let url = "postgresql://\(server.superuser)@127.0.0.1:\(server.port)/\(server.database)"
            let store = try EventStore(.init(connection: try .init(connectionString: url, environment: [:]), schema: "readme"))
            try await store.migrate()
            try await store.append(to: "order-42", expected: .noStream, [
                try NewEvent(type: "OrderPlaced", data: PGRawJSON(#"{"total": 12}"#)),
            ])
            var printed: [String] = []
            for try await event in store.readStream("order-42") { printed.append("\(event.version) \(event.type) \(event.data)") }
            await store.close()
            #expect(printed == [#"1 OrderPlaced {"total": 12}"#])
        }
    }
}

extension StoreIntegration {
    /// The README's subscription example, with the email sender and table made real.
    @Suite struct ReadmeSubscriptionExampleTests {
        @Test func readmeSubscriptionExampleRuns() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let schema = store.configuration.schema
            _ = try await store.pool.simpleQuery("CREATE TABLE \(schema).order_totals (stream text PRIMARY KEY, n int NOT NULL)")
            try await store.append(to: "order-42", [try NewEvent(type: "OrderPlaced", data: PGRawJSON("{}"))])
            let sent = Counter()
            func sendEmail(for event: RecordedEvent) async throws { sent.add() }

            let orders = try store.subscribe("order-emails", filter: .category("order"))
            for try await event in orders {
                try await sendEmail(for: event)
                orders.stop()
            }
            let totals = try store.subscribe("order-totals", filter: .category("order"))
            let projection = Task {
                try await totals.run { events, transaction in
                    for event in events {
                        _ = try await transaction.execute(
                            "INSERT INTO \(schema).order_totals VALUES ($1, 1) ON CONFLICT (stream) DO UPDATE SET n = order_totals.n + 1",
                            [event.stream])
                    }
                }
            }
            let event = try NewEvent(type: "OrderPlaced", data: PGRawJSON("{}"))
            try await store.append(to: "order-43", [event], waitFor: ["order-totals"], timeout: .seconds(5))
            // The projection has the event as soon as the append returns.
            let rows = try await store.pool.query("SELECT stream, n FROM \(schema).order_totals ORDER BY stream", []).rows
            #expect(try rows.map { "\(try $0.decode(String.self, at: 0))=\(try $0.decode(Int32.self, at: 1))" } == ["order-42=1", "order-43=1"])
            #expect(sent.value == 1)
            totals.stop()
            try await projection.value
        }
    }
}
