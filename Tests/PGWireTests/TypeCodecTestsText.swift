import FoundationEssentials
import Testing

@testable import PGWire

/// Text types, bytea and JSON.
@Suite("Type codecs: text, bytea, JSON")
struct TypeCodecTextTests {
    @Test func stringsAreUTF8() throws {
        let text = "héllo, 世界 🐘 \u{301}"
        #expect(try Codec.encode(text) == Array(text.utf8))
        #expect(text.pgDataType == .text)
        #expect(try Codec.roundTrip(text) == text)
        #expect(try Codec.roundTrip("") == "")
        for type in [PGDataType.text, .varchar, .name, .bpchar, .unknown, .json] {
            #expect(try Codec.decode(Array(text.utf8), as: String.self, type: type) == text)
        }
    }

    @Test func stringWithNULCannotBeSent() {
        let error = Codec.encodeError("a\u{0}b")
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("NUL") == true)
    }

    @Test func stringFromJSONBStripsTheVersionByte() throws {
        // jsonb_send('{"a": 1}')
        let wire = Codec.hex("017b2261223a20317d")
        #expect(try Codec.decode(wire, as: String.self, type: .jsonb) == #"{"a": 1}"#)
        expectDecodingError(Codec.decodeError([2, 0x7B, 0x7D], as: String.self, type: .jsonb), "version 2")
        expectDecodingError(Codec.decodeError([], as: String.self, type: .jsonb), "version byte")
    }

    @Test func stringFromChar() throws {
        #expect(try Codec.decode([0x41], as: String.self, type: .char) == "A")
        // charsend('\351'::"char") is the raw byte; charout prints \351.
        #expect(try Codec.decode([0xE9], as: String.self, type: .char) == #"\351"#)
        #expect(try Codec.decode([0], as: String.self, type: .char) == "")
        expectDecodingError(Codec.decodeError([0x41, 0x42], as: String.self, type: .char), "expected 1 bytes")
    }

    @Test func stringFromUserTypesAndTextFormat() throws {
        // An enum's binary format is its label.
        #expect(try Codec.decode(Array("happy".utf8), as: String.self, type: PGDataType(16_500)) == "happy")
        // Anything in text format is its text.
        #expect(try Codec.decodeText("42", as: String.self, type: .int4) == "42")
        #expect(try Codec.decodeText(#"{"a":1}"#, as: String.self, type: .jsonb) == #"{"a":1}"#)
        // A binary int4 is not text.
        expectDecodingError(Codec.decodeError([0, 0, 0, 42], as: String.self, type: .int4), "cannot be decoded from")
        expectDecodingError(Codec.decodeError([0, 0, 0, 42], as: String.self, type: .bytea), "bytea")
    }

    @Test func invalidUTF8IsRepaired() throws {
        #expect(try Codec.decode([0x61, 0xFF, 0x62], as: String.self, type: .text) == "a\u{FFFD}b")
    }

    @Test func byteaKeepsZeroBytes() throws {
        let bytes: [UInt8] = [0, 1, 0, 0xFF, 0]
        #expect([UInt8]().pgDataType == .bytea)
        #expect(try Codec.encode(bytes) == bytes)
        #expect(try Codec.roundTrip(bytes) == bytes)
        #expect(try Codec.roundTrip([UInt8]()) == [])
        #expect(try Codec.roundTrip(Data(bytes)) == Data(bytes))
        #expect(Data().pgDataType == .bytea)
        expectDecodingError(Codec.decodeError(bytes, as: [UInt8].self, type: .text), "cannot be decoded from")
    }

    @Test func byteaText() throws {
        #expect(try Codec.decodeText(#"\x00ff10Ab"#, as: [UInt8].self, type: .bytea) == [0, 0xFF, 0x10, 0xAB])
        #expect(try Codec.decodeText(#"\x"#, as: [UInt8].self, type: .bytea) == [])
        #expect(try Codec.decodeText(#"a\\b\000\377"#, as: [UInt8].self, type: .bytea) == [0x61, 0x5C, 0x62, 0, 0xFF])
        #expect(try Codec.decodeText(#"\x0102"#, as: Data.self, type: .bytea) == Data([1, 2]))
        expectDecodingError(Codec.decodeError(Array(#"\x0"#.utf8), as: [UInt8].self, type: .bytea, format: .text), "hex")
        expectDecodingError(Codec.decodeError(Array(#"\xzz"#.utf8), as: [UInt8].self, type: .bytea, format: .text), "hex")
        expectDecodingError(Codec.decodeError(Array(#"\4"#.utf8), as: [UInt8].self, type: .bytea, format: .text), "escaped")
        expectDecodingError(Codec.decodeError(Array(#"\400"#.utf8), as: [UInt8].self, type: .bytea, format: .text), "escaped")
    }

    struct Payload: Codable, Sendable, Equatable {
        var id: Int
        var name: String
        var tags: [String]
    }

    @Test func jsonEncodesAsJSONB() throws {
        let value = PGJSON(Payload(id: 7, name: "ü", tags: ["a"]))
        #expect(value.pgDataType == .jsonb)
        let wire = try Codec.encode(value)
        #expect(wire.first == 1)
        let decoded = try JSONDecoder().decode(Payload.self, from: Data(wire.dropFirst()))
        #expect(decoded == value.value)
        #expect(try Codec.roundTrip(value) == value)
    }

    @Test func jsonDecodesFromJSONAndJSONB() throws {
        let text = #"{"id": 1, "name": "x", "tags": []}"#
        let expected = Payload(id: 1, name: "x", tags: [])
        #expect(try Codec.decode(Array(text.utf8), as: PGJSON<Payload>.self, type: .json).value == expected)
        #expect(try Codec.decode([1] + Array(text.utf8), as: PGJSON<Payload>.self, type: .jsonb).value == expected)
        #expect(try Codec.decodeText(text, as: PGJSON<Payload>.self, type: .jsonb).value == expected)
        expectDecodingError(
            Codec.decodeError(Array(text.utf8), as: PGJSON<Payload>.self, type: .jsonb), "unsupported jsonb version 123")
        expectDecodingError(
            Codec.decodeError([1] + Array(#"{"id": "x"}"#.utf8), as: PGJSON<Payload>.self, type: .jsonb), "invalid JSON")
        expectDecodingError(Codec.decodeError(Array(text.utf8), as: PGJSON<Payload>.self, type: .text), "cannot be decoded")
    }

    @Test func rawJSONKeepsTheText() throws {
        let raw = PGRawJSON(#"{"b": [1, 2.50]}"#)
        #expect(try Codec.encode(raw) == [1] + Array(#"{"b": [1, 2.50]}"#.utf8))
        #expect(try Codec.roundTrip(raw) == raw)
        #expect(try Codec.decode(raw.bytes, as: PGRawJSON.self, type: .json) == raw)
        #expect(try raw.decode([String: [Double]].self) == ["b": [1, 2.5]])
        let encoded = try PGRawJSON(encoding: ["k": 1])
        #expect(encoded.text == #"{"k":1}"#)
        expectDecodingError(Codec.decodeError([], as: PGRawJSON.self, type: .jsonb), "no version byte")
    }
}
