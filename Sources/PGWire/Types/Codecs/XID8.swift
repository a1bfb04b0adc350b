// xid8: an unsigned 64-bit integer, big-endian; decimal digits in text format.

extension UInt64: PGArrayElement {
    /// `UInt64` is sent as `xid8`.
    public static var pgElementDataType: PGDataType { .xid8 }
    public static var pgArrayDataType: PGDataType { .xid8Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(self) }

    /// Decodes `xid8`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> UInt64 {
        try PGXID8Coding.decode(bytes, type: type, format: format, for: Self.self)
    }
}

extension PGTransactionID: PGArrayElement {
    public static var pgElementDataType: PGDataType { .xid8 }
    public static var pgArrayDataType: PGDataType { .xid8Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(rawValue) }

    /// Decodes `xid8`.
    public static func decode(
        from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat
    ) throws -> PGTransactionID {
        PGTransactionID(try PGXID8Coding.decode(bytes, type: type, format: format, for: Self.self))
    }
}

enum PGXID8Coding {
    static func decode<S: PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat, for swiftType: S.Type
    ) throws(PGError) -> UInt64 {
        guard type == .xid8 else { throw S.typeError(type) }
        if format == .binary { return try S.decodeFixed(bytes, as: UInt64.self, type: type) }
        guard let value = parseUnsigned(bytes) else { throw S.decodingError(type, "invalid xid8 in text format") }
        return value
    }

    /// Parses ASCII decimal digits that fill `bytes`; nil on anything else or on overflow.
    static func parseUnsigned(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }
}
