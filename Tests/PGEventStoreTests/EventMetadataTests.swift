import Foundation
import Testing

@testable import PGEventStore

private let correlation = UUID(uuidString: "0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B")!
private let causation = UUID(uuidString: "0190A1B2-C3D4-7E5F-9A6B-7C8D9E0F1A2C")!

private func text(_ metadata: EventMetadata) throws -> String {
    String(decoding: try metadata.encodedJSON(), as: UTF8.self)
}

private func code(of body: () throws -> Void) -> EventStoreError.Code? {
    do {
        try body()
        return nil
    } catch let error as EventStoreError {
        return error.code
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite struct EventMetadataTests {
    @Test func encodesOneFlatObjectWithLowercaseIDsAndSortedKeys() throws {
        let metadata = EventMetadata(
            correlationID: correlation, causationID: causation, extra: ["tenant": "acme", "attempt": 2, "path": "a/b"])
        #expect(
            try text(metadata)
                == #"{"attempt":2,"causationId":"0190a1b2-c3d4-7e5f-9a6b-7c8d9e0f1a2c","#
                + #""correlationId":"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b","path":"a/b","tenant":"acme"}"#)
    }

    @Test func omitsNilIDs() throws {
        #expect(try text(EventMetadata()) == "{}")
        #expect(try text(EventMetadata(extra: ["a": 1])) == #"{"a":1}"#)
        #expect(try text(EventMetadata(causationID: causation)) == #"{"causationId":"0190a1b2-c3d4-7e5f-9a6b-7c8d9e0f1a2c"}"#)
    }

    @Test func encodingIsStable() throws {
        let extra: [String: EventMetadata.Value] = Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", EventMetadata.Value.number(Double($0))) })
        let first = try EventMetadata(extra: extra).encodedJSON()
        // Same content, different bucket count, so a different iteration order.
        var resized = [String: EventMetadata.Value](minimumCapacity: 4096)
        for key in extra.keys.sorted().reversed() { resized[key] = extra[key] }
        #expect(Array(resized.keys) != Array(extra.keys))
        let second = try EventMetadata(extra: resized).encodedJSON()
        #expect(first == second)
    }

    @Test func reservedKeysInExtraAreRejected() {
        #expect(code { _ = try EventMetadata(extra: ["correlationId": "x"]).encodedJSON() } == .invalidArgument)
        #expect(code { _ = try EventMetadata(causationID: causation, extra: ["causationId": "x"]).encodedJSON() } == .invalidArgument)
        // Through a plain JSONEncoder the same typed error comes out.
        #expect(throws: EventStoreError.self) { try JSONEncoder().encode(EventMetadata(extra: ["causationId": nil])) }
    }

    @Test func nonFiniteNumberIsInvalidArgument() {
        #expect(code { _ = try EventMetadata(extra: ["x": .number(.nan)]).encodedJSON() } == .invalidArgument)
    }

    @Test func decodesIDsAndPutsOtherKeysIntoExtra() throws {
        let json = #"{"correlationId":"0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B","causationId":null,"user":{"id":7},"n":1.5}"#
        let metadata = try EventMetadata(json: Array(json.utf8))
        #expect(metadata.correlationID == correlation)
        #expect(metadata.causationID == nil)
        #expect(metadata.extra == ["user": ["id": 7], "n": 1.5])
    }

    /// Ids-only metadata skips JSONEncoder and JSONDecoder; the bytes and values must be what
    /// the Codable path gives.
    @Test func idsOnlyFastPathMatchesTheCodablePath() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for metadata in [
            EventMetadata(), EventMetadata(correlationID: correlation), EventMetadata(causationID: causation),
            EventMetadata(correlationID: correlation, causationID: causation),
        ] {
            let fast = try #require(metadata.idsOnlyJSON)
            #expect(fast == [UInt8](try encoder.encode(metadata)))
            #expect(EventMetadata(idsOnlyJSON: fast) == metadata)
        }
        // As jsonb prints it.
        let spaced = #"{"causationId": "0190A1B2-C3D4-7E5F-9A6B-7C8D9E0F1A2C", "correlationId": "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"}"#
        #expect(EventMetadata(idsOnlyJSON: Array(spaced.utf8)) == EventMetadata(correlationID: correlation, causationID: causation))
        // Anything else goes the long way, and still decodes.
        for other in [
            #"{"correlationId": "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", "tenant": "acme"}"#,
            #"{"correlationId": null}"#, #"{"correlationId": "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2\u0062"}"#,
            #"{"correlationId": "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"} x"#, #"{"correlationId": "not a uuid"}"#,
        ] {
            #expect(EventMetadata(idsOnlyJSON: Array(other.utf8)) == nil, "\(other)")
        }
        #expect(try EventMetadata(json: Array(#"{"correlationId": "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2\u0062"}"#.utf8)).correlationID == correlation)
        #expect(EventMetadata(extra: ["a": 1]).idsOnlyJSON == nil)
    }

    @Test func roundTrips() throws {
        let metadata = EventMetadata(correlationID: correlation, causationID: causation, extra: ["a": [true, nil, "s"]])
        #expect(try EventMetadata(json: metadata.encodedJSON()) == metadata)
    }

    @Test func nullOrNoTextIsEmptyMetadata() throws {
        #expect(try EventMetadata(json: Array("null".utf8)) == EventMetadata())
        #expect(try EventMetadata(json: [UInt8]()) == EventMetadata())
        #expect(try EventMetadata(json: Array(" \n".utf8)) == EventMetadata())
        #expect(try EventMetadata(json: Array("{}".utf8)) == EventMetadata())
    }

    @Test func nullMetadataInsideAnotherObjectIsEmpty() throws {
        struct Envelope: Decodable { var metadata: EventMetadata }
        let envelope = try JSONDecoder().decode(Envelope.self, from: Data(#"{"metadata":null}"#.utf8))
        #expect(envelope.metadata == EventMetadata())
    }

    @Test func malformedMetadataIsDecodingError() {
        for json in ["[1]", "42", #""text""#, "{", #"{"correlationId":"not-a-uuid"}"#, #"{"causationId":5}"#] {
            #expect(code { _ = try EventMetadata(json: Array(json.utf8)) } == .decoding, "\(json)")
        }
    }
}
