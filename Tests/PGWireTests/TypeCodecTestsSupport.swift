import Testing

@testable import PGWire

/// Helpers for the value codec tests.
enum Codec {
    /// The binary encoding of `value`.
    static func encode(_ value: some PGEncodable) throws -> [UInt8] {
        var buffer: [UInt8] = []
        try value.encode(into: &buffer)
        return buffer
    }

    /// Decodes `bytes` from a slice that does not start at index 0, so that a codec indexing
    /// from 0 instead of `startIndex` fails.
    static func decode<T: PGDecodable>(
        _ bytes: [UInt8], as: T.Type = T.self, type: PGDataType, format: PGFormat = .binary
    ) throws -> T {
        let padded: [UInt8] = [0xAA, 0xBB, 0xCC] + bytes + [0xDD]
        return try T.decode(from: padded[3..<(3 + bytes.count)], type: type, format: format)
    }

    /// Decodes text-format bytes.
    static func decodeText<T: PGDecodable>(_ text: String, as: T.Type = T.self, type: PGDataType) throws -> T {
        try decode(Array(text.utf8), as: T.self, type: type, format: .text)
    }

    /// Encodes `value` and decodes it back as its own type.
    static func roundTrip<T: PGEncodable & PGDecodable>(_ value: T) throws -> T {
        try decode(try encode(value), as: T.self, type: value.pgDataType)
    }

    /// The PGError thrown by decoding, or nil when decoding succeeded.
    static func decodeError<T: PGDecodable>(
        _ bytes: [UInt8], as: T.Type, type: PGDataType, format: PGFormat = .binary
    ) -> PGError? {
        pgError { _ = try decode(bytes, as: T.self, type: type, format: format) }
    }

    /// The PGError thrown by encoding, or nil.
    static func encodeError(_ value: some PGEncodable) -> PGError? {
        pgError { _ = try encode(value) }
    }

    /// Bytes from hex digits as psql prints bytea (`\x` prefix optional).
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.hasPrefix("\\x") ? text.utf8.dropFirst(2) : text.utf8[...])
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }
}

/// Expects a `.decoding` error whose message contains `fragment`.
func expectDecodingError(
    _ error: PGError?, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(error?.code == .decoding, "expected a decoding error, got \(String(describing: error))", sourceLocation: sourceLocation)
    #expect(error?.message.contains(fragment) == true, "\(String(describing: error?.message)) lacks \"\(fragment)\"", sourceLocation: sourceLocation)
}
