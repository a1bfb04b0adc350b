#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

// numeric (numeric_send/numeric_recv):
//
//   UInt16 ndigits, Int16 weight, UInt16 sign (0x0000 +, 0x4000 -, 0xC000 NaN, 0xD000 Infinity,
//   0xF000 -Infinity), UInt16 dscale, then ndigits Int16 base-10000 digits (0...9999).
//
// The server sends special values with no digits and a display scale of no meaning.

extension PGNumeric: PGArrayElement {
    public static var pgElementDataType: PGDataType { .numeric }
    public static var pgArrayDataType: PGDataType { .numericArray }

    public func encode(into buffer: inout [UInt8]) throws {
        buffer.reserveCapacity(buffer.count + 8 + 2 * digits.count)
        buffer.appendBigEndian(UInt16(digits.count))
        buffer.appendBigEndian(weight)
        buffer.appendBigEndian(sign.rawValue)
        buffer.appendBigEndian(displayScale)
        for digit in digits { buffer.appendBigEndian(digit) }
    }

    /// Decodes `numeric` in either format, and `int2`, `int4`, `int8` (exactly).
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> PGNumeric {
        switch (type, format) {
        case (.numeric, .binary):
            return try PGNumericCoding.decodeBinary(bytes, type: type, for: Self.self)
        case (.numeric, .text):
            guard let value = PGNumeric(String(decoding: bytes, as: UTF8.self)) else {
                throw decodingError(type, "invalid numeric in text format")
            }
            return value
        case (.int2, _), (.int4, _), (.int8, _):
            return PGNumeric(try PGIntegerCoding.decodeAnyInteger(bytes, type: type, format: format, for: Self.self))
        default:
            throw typeError(type)
        }
    }
}

extension Decimal: PGArrayElement {
    /// Decimals are sent as `numeric`.
    public static var pgElementDataType: PGDataType { .numeric }
    public static var pgArrayDataType: PGDataType { .numericArray }

    public func encode(into buffer: inout [UInt8]) throws {
        try PGNumeric(self).encode(into: &buffer)
    }

    /// Decodes `numeric` (and `int2`, `int4`, `int8`). Throws when the value has more than 38
    /// significant digits, is outside `Decimal`'s exponent range, or is infinite: decode
    /// ``PGNumeric`` to read any numeric exactly.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Decimal {
        let numeric: PGNumeric
        do {
            numeric = try PGNumeric.decode(from: bytes, type: type, format: format)
        } catch let error as PGError {
            throw decodingError(type, error.message)
        }
        guard let value = Decimal(exactly: numeric) else {
            throw decodingError(type, "\(numeric.isInfinite ? numeric.description : "the value") is out of Decimal's range; decode as PGNumeric")
        }
        return value
    }
}

enum PGNumericCoding {
    static func decodeBinary<S: PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, for swiftType: S.Type
    ) throws(PGError) -> PGNumeric {
        var reader = PGBinaryReader(bytes)
        guard let count = reader.read(UInt16.self), let weight = reader.read(Int16.self),
            let signField = reader.read(UInt16.self), let displayScale = reader.read(UInt16.self)
        else {
            throw S.decodingError(type, "numeric header needs 8 bytes, got \(bytes.count)")
        }
        guard reader.remaining == 2 * Int(count) else {
            throw S.decodingError(type, "\(count) numeric digits need \(2 * Int(count)) bytes, got \(reader.remaining)")
        }
        guard let sign = PGNumeric.Sign(rawValue: signField) else {
            throw S.decodingError(type, "invalid numeric sign 0x\(String(signField, radix: 16))")
        }
        guard sign == .positive || sign == .negative else {
            return PGNumeric(normalizing: [], sign: sign, weight: 0, displayScale: 0)!
        }
        guard displayScale <= PGNumeric.maximumDisplayScale else {
            throw S.decodingError(type, "invalid numeric display scale \(displayScale)")
        }
        var digits: [UInt16] = []
        digits.reserveCapacity(Int(count))
        for _ in 0..<count {
            let digit = reader.read(Int16.self)!  // the length was checked above
            guard digit >= 0, digit < 10_000 else { throw S.decodingError(type, "invalid numeric digit \(digit)") }
            digits.append(UInt16(digit))
        }
        guard
            let value = PGNumeric(
                normalizing: digits[...], sign: sign, weight: Int(weight), displayScale: Int(displayScale))
        else {
            throw S.decodingError(type, "numeric value overflows the numeric format")
        }
        return value
    }
}
