// bool, int2, int4, int8 and oid. Binary values are big-endian integers of the type's size;
// text values (simple query results) are parsed from ASCII decimal digits.
//
// An integer decodes from its own type and from narrower ones (`Int32` from int2 or int4,
// `Int64` and `Int` from int2, int4 or int8), never from a wider one.

extension Bool: PGArrayElement {
    public static var pgElementDataType: PGDataType { .bool }
    public static var pgArrayDataType: PGDataType { .boolArray }

    public func encode(into buffer: inout [UInt8]) throws {
        buffer.append(self ? 1 : 0)
    }

    /// Decodes `bool`: one byte in binary format (any non-zero byte is true, as in `boolrecv`),
    /// `t` or `f` in text format.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Bool {
        guard type == .bool else { throw typeError(type) }
        if format == .binary {
            guard bytes.count == 1 else { throw sizeError(type, expected: 1, actual: bytes.count) }
            return bytes.first! != 0
        }
        switch bytes.count == 1 ? bytes.first! : 0 {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw decodingError(type, "expected t or f in text format")
        }
    }
}

extension Int16: PGArrayElement {
    public static var pgElementDataType: PGDataType { .int2 }
    public static var pgArrayDataType: PGDataType { .int2Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(self) }

    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Int16 {
        guard type == .int2 else { throw typeError(type) }
        return try PGIntegerCoding.decode(bytes, type: type, format: format, as: Int16.self)
    }
}

extension Int32: PGArrayElement {
    public static var pgElementDataType: PGDataType { .int4 }
    public static var pgArrayDataType: PGDataType { .int4Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(self) }

    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Int32 {
        switch type {
        case .int4: return try PGIntegerCoding.decode(bytes, type: type, format: format, as: Int32.self)
        case .int2: return Int32(try PGIntegerCoding.decode(bytes, type: type, format: format, as: Int16.self))
        default: throw typeError(type)
        }
    }
}

extension Int64: PGArrayElement {
    public static var pgElementDataType: PGDataType { .int8 }
    public static var pgArrayDataType: PGDataType { .int8Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(self) }

    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Int64 {
        try PGIntegerCoding.decodeAnyInteger(bytes, type: type, format: format, for: Int64.self)
    }
}

extension Int: PGArrayElement {
    /// `Int` is sent as `int8`.
    public static var pgElementDataType: PGDataType { .int8 }
    public static var pgArrayDataType: PGDataType { .int8Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(Int64(self)) }

    /// Decodes `int2`, `int4` or `int8`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Int {
        let value = try PGIntegerCoding.decodeAnyInteger(bytes, type: type, format: format, for: Int.self)
        guard let exact = Int(exactly: value) else { throw decodingError(type, "\(value) does not fit in Int") }
        return exact
    }
}

extension UInt32: PGArrayElement {
    /// `UInt32` is sent as `oid`.
    public static var pgElementDataType: PGDataType { .oid }
    public static var pgArrayDataType: PGDataType { .oidArray }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(self) }

    /// Decodes `oid` and the other unsigned 4-byte types: `xid`, `cid`, `regproc`, `regclass`,
    /// `regtype` (which are sent as their OID in binary format; in text format they are names).
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> UInt32 {
        switch type.rawValue {
        case 26, 28, 29: break  // oid, xid, cid
        case 24, 2205, 2206:  // regproc, regclass, regtype: text format is a name
            if format == .text { throw textFormatError(type) }
        default: throw typeError(type)
        }
        if format == .binary { return try decodeFixed(bytes, as: UInt32.self, type: type) }
        guard let value = PGIntegerCoding.parseDecimal(bytes), let exact = UInt32(exactly: value) else {
            throw decodingError(type, "invalid unsigned integer in text format")
        }
        return exact
    }
}

/// Shared integer decoding.
enum PGIntegerCoding {
    /// Decodes a value of the integer type `type`, in either format, as `T`.
    @inline(__always)
    static func decode<T: FixedWidthInteger & PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat, as: T.Type
    ) throws(PGError) -> T {
        if format == .binary { return try T.decodeFixed(bytes, as: T.self, type: type) }
        guard let value = parseDecimal(bytes), let exact = T(exactly: value) else {
            throw T.decodingError(type, "invalid \(type) in text format")
        }
        return exact
    }

    /// Decodes int2, int4 or int8 into a 64-bit result; `swiftType` names the requested type in errors.
    @inline(__always)
    static func decodeAnyInteger<S: PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat, for swiftType: S.Type
    ) throws(PGError) -> Int64 {
        if format == .binary {
            switch (type, bytes.count) {
            case (.int8, 8): return bytes.loadBigEndian(as: Int64.self)
            case (.int4, 4): return Int64(bytes.loadBigEndian(as: Int32.self))
            case (.int2, 2): return Int64(bytes.loadBigEndian(as: Int16.self))
            case (.int8, _): throw S.sizeError(type, expected: 8, actual: bytes.count)
            case (.int4, _): throw S.sizeError(type, expected: 4, actual: bytes.count)
            case (.int2, _): throw S.sizeError(type, expected: 2, actual: bytes.count)
            default: throw S.typeError(type)
            }
        }
        guard type == .int8 || type == .int4 || type == .int2 else { throw S.typeError(type) }
        guard let value = parseDecimal(bytes) else { throw S.decodingError(type, "invalid \(type) in text format") }
        return value
    }

    /// Parses an optionally signed ASCII decimal integer that fills `bytes`; nil on any other
    /// character, on no digits, or on overflow of Int64.
    static func parseDecimal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var index = bytes.startIndex
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < bytes.endIndex else { return nil }
        // Accumulate negatively so that Int64.min parses.
        var value: Int64 = 0
        while index < bytes.endIndex {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}
