#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A `Codable` value stored as JSON: sent as `jsonb`, read from `json` or `jsonb`.
///
/// The value is encoded with a default `JSONEncoder` and decoded with a default `JSONDecoder`.
/// For other coding options, encode the value yourself into a ``PGRawJSON``.
///
/// ```swift
/// struct Payload: Codable, Sendable { var id: Int; var tags: [String] }
/// let parameter = PGJSON(Payload(id: 1, tags: ["a"]))
/// ```
public struct PGJSON<Value: Codable & Sendable>: Sendable {
    /// The decoded value.
    public var value: Value

    /// Wraps `value`, to be sent as `jsonb`.
    public init(_ value: Value) {
        self.value = value
    }
}

extension PGJSON: Equatable where Value: Equatable {}
extension PGJSON: Hashable where Value: Hashable {}

/// JSON text kept as raw UTF-8 bytes, without decoding: sent as `jsonb`, read from `json` or
/// `jsonb` (whose version byte is removed). The server checks the text when it receives it.
public struct PGRawJSON: Sendable, Hashable, CustomStringConvertible {
    /// The JSON text, UTF-8 encoded.
    public var bytes: [UInt8]

    /// JSON text from its UTF-8 bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// JSON text from a string.
    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// The JSON encoding of `value`, with `encoder` or a default `JSONEncoder`.
    public init<T: Encodable>(encoding value: T, using encoder: JSONEncoder? = nil) throws {
        self.bytes = [UInt8](try (encoder ?? PGJSONCoders.encoder).encode(value))
    }

    /// Decodes the JSON text as `type`, with `decoder` or a default `JSONDecoder`.
    public func decode<T: Decodable>(_ type: T.Type = T.self, using decoder: JSONDecoder? = nil) throws -> T {
        try (decoder ?? PGJSONCoders.decoder).decode(T.self, from: Data(bytes))
    }

    /// The JSON text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { text }
}

/// Shared coders (both are thread-safe and Sendable).
enum PGJSONCoders {
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()
}
