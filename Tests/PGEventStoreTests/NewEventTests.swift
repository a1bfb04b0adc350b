import Foundation
import PGWire
import Testing

@testable import PGEventStore

private struct OrderPlaced: Encodable { var orderID: Int; var note: String }
private struct Measurement: Encodable { var value: Double }

@Suite struct NewEventTests {
    @Test func keepsItsFields() throws {
        let id = UUID()
        let metadata = EventMetadata(correlationID: id)
        let event = try NewEvent(id: id, type: "OrderPlaced", data: PGRawJSON(#"{"a":1}"#), metadata: metadata)
        #expect(event.id == id)
        #expect(event.type == "OrderPlaced")
        #expect(event.data.text == #"{"a":1}"#)
        #expect(event.metadata == metadata)
    }

    @Test func defaultIDIsATimeOrderedUUID() throws {
        let first = try NewEvent(type: "T", data: PGRawJSON("{}"))
        let second = try NewEvent(type: "T", data: PGRawJSON("{}"))
        #expect(UUIDv7.timestampMilliseconds(of: first.id) != nil)
        #expect(first.id != second.id)
        #expect(first.metadata == EventMetadata())
    }

    @Test func encodesValueWithDefaultEncoder() throws {
        let event = try NewEvent(type: "OrderPlaced", encoding: OrderPlaced(orderID: 42, note: "a/b"))
        let decoded = try JSONDecoder().decode([String: EventMetadata.Value].self, from: Data(event.data.bytes))
        #expect(decoded == ["orderID": 42, "note": "a/b"])
    }

    @Test func encodesValueWithGivenEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let event = try NewEvent(type: "OrderPlaced", encoding: OrderPlaced(orderID: 42, note: "a/b"), encoder: encoder)
        #expect(event.data.text == #"{"note":"a/b","order_id":42}"#)
    }

    @Test func unencodableValueIsInvalidArgument() {
        let failure = error { _ = try NewEvent(type: "Measured", encoding: Measurement(value: .nan)) }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.underlying is EncodingError)
    }

    @Test func typeMustNotBeEmpty() {
        #expect(error { _ = try NewEvent(type: "", data: PGRawJSON("{}")) }?.code == .invalidArgument)
        #expect(error { _ = try NewEvent(type: "", encoding: [1]) }?.code == .invalidArgument)
    }

    @Test func typeLengthIsCountedInUTF8Bytes() throws {
        let longest = String(repeating: "é", count: 127) + "a"  // 255 bytes, 128 characters
        #expect(try NewEvent(type: longest, data: PGRawJSON("{}")).type == longest)
        let tooLong = String(repeating: "é", count: 128)  // 256 bytes
        let failure = error { _ = try NewEvent(type: tooLong, data: PGRawJSON("{}")) }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message.contains("256") == true)
    }

    @Test func typeMustNotContainNUL() {
        #expect(error { _ = try NewEvent(type: "Order\u{0}Placed", data: PGRawJSON("{}")) }?.code == .invalidArgument)
    }

    @Test func typeIsCheckedBeforeEncoding() {
        let failure = error { _ = try NewEvent(type: "", encoding: Measurement(value: .nan)) }
        #expect(failure?.message == "event type must not be empty")
    }
}
