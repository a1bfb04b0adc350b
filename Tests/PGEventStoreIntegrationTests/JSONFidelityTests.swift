import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    /// Event data and metadata are stored as json (schema version 3): every append path keeps
    /// the text byte for byte, where jsonb reordered keys and dropped spaces.
    @Suite struct JSONFidelityTests {
        /// Spaces, key order, escapes, and the bytes COPY's text format must escape (backslash,
        /// tab, newline, carriage return).
        static let texts = [
            #"{"z":1,  "a" : [1,2] }"#, #"{"b": "ü\u00e9", "a": null}"#, #"[3, 2,1]"#, "{\n\t\"k\": \"a\\\\b\"\r\n}",
        ]

        @Test func everyAppendPathKeepsTheTextAsGiven() async throws {
            // copyThreshold 4: a four-event append goes by COPY, smaller ones by statement.
            let store = try await StoreIntegration.freshStore(copyThreshold: 4)
            defer { Task { await store.close() } }
            func events() throws -> [NewEvent] { try Self.texts.map { try NewEvent(type: "T", data: PGRawJSON($0)) } }
            // One event (its own statement), several to one stream, several streams, and COPY.
            try await store.append(to: "one-1", [try NewEvent(type: "T", data: PGRawJSON(Self.texts[0]))])
            try await store.append(to: "many-1", Array(try events().prefix(3)))
            try await store.append([
                StreamWrite(stream: "multi-1", events: [try NewEvent(type: "T", data: PGRawJSON(Self.texts[1]))]),
                StreamWrite(stream: "multi-2", events: [try NewEvent(type: "T", data: PGRawJSON(Self.texts[2]))]),
            ])
            let copied = try events()
            let first = try await store.append(to: "copy\t\\1", copied)

            func texts(_ stream: String) async throws -> [String] {
                var texts: [String] = []
                for try await event in store.readStream(stream) { texts.append(event.data.text) }
                return texts
            }
            #expect(try await texts("one-1") == [Self.texts[0]])
            #expect(try await texts("many-1") == Array(Self.texts.prefix(3)))
            #expect(try await texts("multi-1") == [Self.texts[1]])
            #expect(try await texts("multi-2") == [Self.texts[2]])
            // A stream name with a tab and a backslash, which COPY's text format escapes too.
            #expect(try await texts("copy\t\\1") == Self.texts)
            // A retry of the COPY append (same ids, same bytes) is recognised as one: the texts
            // are compared, json having no equality.
            let retried = try await store.append(to: "copy\t\\1", copied)
            #expect(retried.positions == first.positions)
        }

        @Test func invalidJSONIsStillRefusedByTheServer() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let error = await #expect(throws: (any Error).self) {
                try await store.append(to: "bad-1", [try NewEvent(type: "T", data: PGRawJSON("{not json"))])
            }
            #expect("\(String(describing: error))".contains("22P02"), "\(String(describing: error))")
        }
    }
}
