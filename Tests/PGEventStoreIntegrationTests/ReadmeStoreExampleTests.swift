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
