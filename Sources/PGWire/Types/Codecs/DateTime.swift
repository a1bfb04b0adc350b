#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

// timestamptz and timestamp: Int64 microseconds since 2000-01-01 00:00:00 (UTC for timestamptz),
// Int64.max and Int64.min for ±infinity. date: Int32 days since 2000-01-01, Int32.max and
// Int32.min for ±infinity. Text format depends on the session's DateStyle and TimeZone, so
// these types decode binary format only.

extension PGTimestamp: PGArrayElement {
    public static var pgElementDataType: PGDataType { .timestamptz }
    public static var pgArrayDataType: PGDataType { .timestamptzArray }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(microsecondsSince2000) }

    /// Decodes `timestamptz` or `timestamp` (read as UTC).
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> PGTimestamp {
        PGTimestamp(microsecondsSince2000: try PGDateTimeCoding.microseconds(bytes, type: type, format: format, for: Self.self))
    }
}

extension PGLocalTimestamp: PGArrayElement {
    public static var pgElementDataType: PGDataType { .timestamp }
    public static var pgArrayDataType: PGDataType { .timestampArray }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(microsecondsSince2000) }

    /// Decodes `timestamp` or `timestamptz` (as its UTC wall-clock time).
    public static func decode(
        from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat
    ) throws -> PGLocalTimestamp {
        PGLocalTimestamp(
            microsecondsSince2000: try PGDateTimeCoding.microseconds(bytes, type: type, format: format, for: Self.self))
    }
}

extension PGDate: PGArrayElement {
    public static var pgElementDataType: PGDataType { .date }
    public static var pgArrayDataType: PGDataType { .dateArray }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(daysSince2000) }

    /// Decodes `date`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> PGDate {
        guard type == .date else { throw typeError(type) }
        guard format == .binary else { throw textFormatError(type) }
        return PGDate(daysSince2000: try decodeFixed(bytes, as: Int32.self, type: type))
    }
}

extension Date: PGArrayElement {
    /// Dates are sent as `timestamptz`; use ``PGDate`` or ``PGLocalTimestamp`` for the others.
    public static var pgElementDataType: PGDataType { .timestamptz }
    public static var pgArrayDataType: PGDataType { .timestamptzArray }

    /// Appends the instant rounded to the nearest microsecond. Throws
    /// ``PGError/Code/invalidArgument`` for a date too far from 2000 for the binary format.
    public func encode(into buffer: inout [UInt8]) throws {
        guard let value = PGTimestampMath.microseconds(from: self) else {
            throw PGError(.invalidArgument, "the date \(timeIntervalSinceReferenceDate)s after 2001 is out of range")
        }
        buffer.appendBigEndian(value)
    }

    /// Decodes `timestamptz`, `timestamp` (read as UTC) and `date` (midnight UTC). Throws for
    /// `infinity` and `-infinity`, which `Date` cannot hold: decode ``PGTimestamp`` or
    /// ``PGDate`` to keep them.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Date {
        if type == .date {
            let day = try PGDate.decode(from: bytes, type: type, format: format)
            guard let date = day.date else {
                throw decodingError(type, "\(day) cannot be represented as Date; decode as PGDate to keep it")
            }
            return date
        }
        let value = try PGDateTimeCoding.microseconds(bytes, type: type, format: format, for: Self.self)
        guard let date = PGTimestampMath.date(from: value) else {
            let text = value == .max ? "infinity" : "-infinity"
            throw decodingError(type, "\(text) cannot be represented as Date; decode as PGTimestamp to keep it")
        }
        return date
    }
}

enum PGDateTimeCoding {
    /// The raw value of a binary `timestamp` or `timestamptz`.
    @inline(__always)
    static func microseconds<S: PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat, for swiftType: S.Type
    ) throws(PGError) -> Int64 {
        guard type == .timestamptz || type == .timestamp else { throw S.typeError(type) }
        guard format == .binary else { throw S.textFormatError(type) }
        return try S.decodeFixed(bytes, as: Int64.self, type: type)
    }
}
