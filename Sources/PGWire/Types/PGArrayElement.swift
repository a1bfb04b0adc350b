/// A type `T` for which `[T]` is a PostgreSQL value.
///
/// Two kinds of types qualify: every ``PGArrayElement`` (`[Int32]` is an `int4[]`), and
/// `UInt8`, because `[UInt8]` is `bytea`, not an array of bytes. `Array` conforms to
/// ``PGEncodable`` and ``PGDecodable`` through this protocol; conform your own types to
/// ``PGArrayElement`` instead of conforming to this one directly.
public protocol PGArrayRepresentable: Sendable {
    /// The PostgreSQL type of `[Self]`.
    static var pgArrayDataType: PGDataType { get }

    /// Appends the binary representation of `elements` (as one value) to `buffer`.
    static func encodeArray(_ elements: [Self], into buffer: inout [UInt8]) throws

    /// Decodes a non-NULL value of PostgreSQL type `type` as `[Self]`.
    static func decodeArray(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> [Self]
}

/// A value that can be an element of a one-dimensional PostgreSQL array.
///
/// Conforming types name their own PostgreSQL type and its array type statically, because an
/// empty array still carries its element type. `Optional` conforms when its wrapped type does,
/// so `[Int32?]` sends and receives arrays with NULL elements. Multi-dimensional arrays are not
/// supported: decoding one throws.
///
/// A user-defined enum type, whose binary format is its label (the OIDs come from
/// `SELECT 'mood'::regtype::oid, 'mood[]'::regtype::oid`):
///
/// ```swift
/// enum Mood: String { case sad, happy }
///
/// extension Mood: PGArrayElement {
///     static var pgElementDataType: PGDataType { PGDataType(16_385) }
///     static var pgArrayDataType: PGDataType { PGDataType(16_384) }
///     func encode(into buffer: inout [UInt8]) throws { try rawValue.encode(into: &buffer) }
///     static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Mood {
///         let label = try String.decode(from: bytes, type: type, format: format)
///         guard let mood = Mood(rawValue: label) else {
///             throw PGError.decoding(swiftType: Mood.self, type: type, "unknown label \(label)")
///         }
///         return mood
///     }
/// }
/// ```
public protocol PGArrayElement: PGEncodable, PGDecodable, PGArrayRepresentable {
    /// The PostgreSQL type of every value of this type; the element type in an array's header.
    static var pgElementDataType: PGDataType { get }
}

extension PGArrayElement {
    /// The element type (``pgElementDataType``): every value of the type is sent as it.
    public var pgDataType: PGDataType { Self.pgElementDataType }

    public static func encodeArray(_ elements: [Self], into buffer: inout [UInt8]) throws {
        try PGArrayCodec.encode(elements, into: &buffer)
    }

    public static func decodeArray(
        from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat
    ) throws -> [Self] {
        try PGArrayCodec.decode(bytes, type: type, format: format)
    }
}

extension Optional: PGArrayRepresentable where Wrapped: PGArrayElement {
    public static var pgArrayDataType: PGDataType { Wrapped.pgArrayDataType }
}

extension Optional: PGArrayElement where Wrapped: PGArrayElement {
    public static var pgElementDataType: PGDataType { Wrapped.pgElementDataType }
}

extension Array: PGEncodable where Element: PGArrayRepresentable {
    /// The array type of the element (`int4[]` for `[Int32]`), or `bytea` for `[UInt8]`.
    public var pgDataType: PGDataType { Element.pgArrayDataType }

    public func encode(into buffer: inout [UInt8]) throws {
        try Element.encodeArray(self, into: &buffer)
    }
}

extension Array: PGDecodable where Element: PGArrayRepresentable {
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> [Element] {
        try Element.decodeArray(from: bytes, type: type, format: format)
    }
}
