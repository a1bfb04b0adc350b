import PGEventStore
import PGTestServer
import PGWire
import Testing

/// The store over TLS: appends (binary COPY included), reads, and an exactly-once
/// subscription, whose wake-ups arrive on a LISTEN connection, all with verify-full against a
/// server of its own.
@Suite(.serialized) struct TLSStoreTests {
    @Test func appendsReadsAndASubscriptionWorkOverTLS() async throws {
        try await TestServer.withRunning(TestServer.Options(tls: .init())) { server in
            try await Self.exercise(server, try #require(server.tls))
        }
    }

    static func exercise(_ server: TestServer, _ tls: TestServer.TLSSetup) async throws {
        let url = "postgresql://\(server.superuser)@localhost:\(server.port)/\(server.database)"
            + "?sslmode=verify-full&sslrootcert=\(tls.certificateAuthority)"
        let store = try EventStore(.init(connection: try .init(connectionString: url, environment: [:]), schema: "tls_store"))
        try await store.migrate()
        let encrypted = try await store.pool.withConnection { $0.tlsInfo != nil }
        #expect(encrypted)

        // 200 streams of 10 events in one append (large enough to go by COPY).
        let batch = try (0..<200).map { stream in
            StreamWrite(stream: "order-\(stream)", expected: .noStream, events: try (1...10).map { _ in
                try NewEvent(type: "OrderPlaced", data: PGRawJSON(#"{"total": 12}"#))
            })
        }
        _ = try await store.append(batch)
        var read = 0
        for try await _ in store.readAll() { read += 1 }
        #expect(read == 2_000)

        let subscription = try store.subscribe("tls-projection", filter: .category("order"))
        let handled = Counter()
        let runner = Task { try await subscription.run { events, _ in handled.add(events.count) } }
        try await store.append(to: "order-x", [try NewEvent(type: "OrderPlaced", data: PGRawJSON("{}"))],
                               waitFor: ["tls-projection"], timeout: .seconds(20))
        #expect(handled.value == 2_001)
        subscription.stop()
        try await runner.value
        await store.close()
    }
}
