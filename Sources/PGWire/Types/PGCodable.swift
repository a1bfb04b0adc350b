/// A Swift value that can be sent to PostgreSQL as a bound parameter, in binary format.
///
/// Conforming types append their binary wire representation (the bytes after the Int32 length)
/// to a buffer. `Optional` conforms when its wrapped type does, and sends NULL for `nil`.
public protocol PGEncodable: Sendable {
    /// The type this value is sent as. The server converts it when the statement expects
    /// another type it can be assigned to; ``PGDataType/unspecified`` lets the server infer it.
    var pgDataType: PGDataType { get }

    /// Appends the value's binary representation to `buffer`. Not called when ``isPGNull``.
    func encode(into buffer: inout [UInt8]) throws

    /// True for SQL NULL; only `Optional.none` says so.
    var isPGNull: Bool { get }
}

extension PGEncodable {
    public var isPGNull: Bool { false }
}

/// A Swift value that can be read from a PostgreSQL result column.
///
/// Extended-protocol results arrive in binary format; text format is used by the simple query
/// protocol. Types decode what they understand and throw ``PGError`` with code
/// ``PGError/Code/decoding`` otherwise (the caller adds the column name).
public protocol PGDecodable: Sendable {
    /// Decodes a non-NULL value of PostgreSQL type `type` sent in `format`.
    static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Self

    /// Decodes SQL NULL. The default throws: only `Optional` accepts NULL.
    static func decodeNull(type: PGDataType) throws -> Self
}

extension PGDecodable {
    public static func decodeNull(type: PGDataType) throws -> Self {
        throw PGError.decoding(swiftType: Self.self, type: type, "unexpected NULL")
    }
}

/// A type that can be both sent and read.
public typealias PGCodable = PGEncodable & PGDecodable

extension Optional: PGEncodable where Wrapped: PGEncodable {
    public var pgDataType: PGDataType {
        switch self {
        case .some(let value): return value.pgDataType
        case .none: return .unspecified
        }
    }

    public func encode(into buffer: inout [UInt8]) throws {
        if case .some(let value) = self { try value.encode(into: &buffer) }
    }

    public var isPGNull: Bool {
        switch self {
        case .some(let value): return value.isPGNull
        case .none: return true
        }
    }
}

extension Optional: PGDecodable where Wrapped: PGDecodable {
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Self {
        try Wrapped.decode(from: bytes, type: type, format: format)
    }

    public static func decodeNull(type: PGDataType) throws -> Self { nil }
}

extension PGError {
    /// A value could not be decoded into `swiftType`. The row decoder adds the column.
    public static func decoding(swiftType: Any.Type, type: PGDataType, _ reason: String) -> PGError {
        var error = PGError(.decoding, "cannot decode \(type) as \(swiftType): \(reason)")
        error.decodingContext = DecodingContext(column: nil, columnIndex: nil, dataType: type, swiftType: "\(swiftType)")
        return error
    }

    /// Where a decoding error happened: which column, which PostgreSQL type, which Swift type.
    public struct DecodingContext: Sendable, Equatable {
        /// The column's name, when known.
        public var column: String?
        /// The column's index, when known.
        public var columnIndex: Int?
        /// The PostgreSQL type of the value.
        public var dataType: PGDataType
        /// The Swift type asked for.
        public var swiftType: String
    }
}
