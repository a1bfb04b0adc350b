// Text types. Their binary format is the UTF-8 text itself (PGWire's connections use
// client_encoding UTF8), except jsonb, which puts a version byte 1 in front, and "char",
// which is one raw byte.

extension String: PGArrayElement {
    /// Strings are sent as `text`; the server converts them where another text type is expected.
    public static var pgElementDataType: PGDataType { .text }
    public static var pgArrayDataType: PGDataType { .textArray }

    /// Appends the UTF-8 bytes. Throws ``PGError/Code/invalidArgument`` for a string holding a
    /// NUL character, which no PostgreSQL text value can hold.
    public func encode(into buffer: inout [UInt8]) throws {
        let start = buffer.count
        buffer.append(contentsOf: utf8)
        if buffer[start...].contains(0) {
            buffer.removeSubrange(start...)
            throw PGError(.invalidArgument, "a string containing a NUL character cannot be sent as text")
        }
    }

    /// Decodes any value in text format (its text representation) and, in binary format, the
    /// text types: `text`, `varchar`, `bpchar`, `name`, `"char"`, `unknown`, `json`, `jsonb`
    /// (without its version byte) and `xml`.
    ///
    /// A binary value of a user-defined type (OID 16384 or above) is also read as UTF-8 text,
    /// because that is the binary format of enum types and text-like extension types (such as
    /// `citext`); a user-defined type with another binary format (a composite or range type)
    /// must be decoded by its own type, or requested in text format. Binary values of other
    /// built-in types (such as `int4`) are rejected. Invalid UTF-8 is repaired (each bad
    /// sequence becomes U+FFFD).
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> String {
        if format == .text { return String(decoding: bytes, as: UTF8.self) }
        switch type {
        case .text, .varchar, .name, .bpchar, .unknown, .json, PGStringCoding.xml:
            return String(decoding: bytes, as: UTF8.self)
        case .jsonb:
            return String(decoding: try PGStringCoding.jsonbText(bytes, type: type, for: String.self), as: UTF8.self)
        case .char:
            guard bytes.count == 1 else { throw sizeError(type, expected: 1, actual: bytes.count) }
            return PGStringCoding.charText(bytes.first!)
        default:
            guard type.rawValue >= PGStringCoding.firstUserOID else { throw typeError(type) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

enum PGStringCoding {
    static let xml = PGDataType(142)
    /// `FirstNormalObjectId`: OIDs from here on belong to objects created after initdb.
    static let firstUserOID: UInt32 = 16384
    /// The only jsonb binary format version PostgreSQL has.
    static let jsonbVersion: UInt8 = 1

    /// The JSON text of a binary jsonb value: everything after the version byte.
    static func jsonbText<S: PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, for swiftType: S.Type
    ) throws(PGError) -> ArraySlice<UInt8> {
        guard let version = bytes.first else { throw S.decodingError(type, "empty jsonb value, no version byte") }
        guard version == jsonbVersion else { throw S.decodingError(type, "unsupported jsonb version \(version)") }
        return bytes.dropFirst()
    }

    /// A `"char"` byte as PostgreSQL prints it: NUL is the empty string, a byte with the high
    /// bit set is a backslash and three octal digits (as `charout` does since PostgreSQL 15).
    static func charText(_ byte: UInt8) -> String {
        if byte == 0 { return "" }
        if byte < 0x80 { return String(UnicodeScalar(byte)) }
        let octal = { (value: UInt8) in Character(UnicodeScalar(UInt8(ascii: "0") + value)) }
        return String(["\\", octal(byte >> 6), octal((byte >> 3) & 7), octal(byte & 7)])
    }
}
