import Foundation
import Testing

@testable import PGEventStore

private func decode(_ text: String) throws -> EventMetadata.Value {
    try JSONDecoder().decode(EventMetadata.Value.self, from: Data(text.utf8))
}

private func encode(_ value: EventMetadata.Value) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

@Suite struct JSONValueTests {
    @Test func decodesEveryKind() throws {
        let value = try decode(#"{"a":null,"b":true,"c":1.5,"d":"x","e":[1,"two"],"f":{"g":false}}"#)
        let expected: EventMetadata.Value = [
            "a": nil, "b": true, "c": 1.5, "d": "x", "e": [1, "two"], "f": ["g": false],
        ]
        #expect(value == expected)
    }

    @Test func booleansAndNumbersStayApart() throws {
        #expect(try decode("true") == .bool(true))
        #expect(try decode("1") == .number(1))
        #expect(try decode("0") == .number(0))
        #expect(try decode("false") == .bool(false))
    }

    @Test func encodesCompactText() throws {
        let value: EventMetadata.Value = ["b": [1, 2.5, "s", nil, true], "a": [:]]
        #expect(try encode(value) == #"{"a":{},"b":[1,2.5,"s",null,true]}"#)
    }

    @Test func integersWithinDoublePrecisionRoundTripAsIntegers() throws {
        let limit = 9_007_199_254_740_992.0
        for number in [0, 42, -7, 123_456_789_012, limit, -limit] {
            let text = try encode(.number(number))
            #expect(!text.contains(".") && !text.contains("e"), "\(number) encoded as \(text)")
            #expect(try decode(text) == .number(number))
        }
        #expect(try encode(.number(limit)) == "9007199254740992")
        #expect(try encode(.number(-7)) == "-7")
    }

    @Test func fractionsLargeNumbersAndNegativeZeroRoundTrip() throws {
        for number in [0.1, -2.5, 1e300, 18_014_398_509_481_984.0, -0.0] {
            let decoded = try decode(try encode(.number(number)))
            guard case .number(let back) = decoded else {
                Issue.record("\(number) came back as \(decoded)")
                continue
            }
            #expect(back == number && back.sign == number.sign)
        }
    }

    @Test func nonFiniteNumbersDoNotEncode() {
        #expect(throws: EncodingError.self) { try encode(.number(.nan)) }
        #expect(throws: EncodingError.self) { try encode(.number(.infinity)) }
    }

    @Test func literals() {
        #expect(EventMetadata.Value(nilLiteral: ()) == .null)
        let values: [EventMetadata.Value] = [true, 3, 2.5, "text"]
        #expect(values == [.bool(true), .number(3), .number(2.5), .string("text")])
        let array: EventMetadata.Value = [1, [2]]
        #expect(array == .array([.number(1), .array([.number(2)])]))
    }

    @Test func repeatedLiteralKeyKeepsLastValue() {
        let value: EventMetadata.Value = ["k": 1, "k": 2]
        #expect(value == .object(["k": .number(2)]))
    }

    @Test func unicodeStringsRoundTrip() throws {
        let value: EventMetadata.Value = ["näme": "a\"b\\c\n€😀"]
        #expect(try decode(try encode(value)) == value)
    }
}
