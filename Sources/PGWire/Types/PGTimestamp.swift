#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A PostgreSQL `timestamptz` (timestamp with time zone), exactly: an instant counted in
/// microseconds from 2000-01-01 00:00:00 UTC, including `infinity` and `-infinity`.
///
/// Sent as `timestamptz`. To send a `timestamp` (without time zone) use ``withoutTimeZone``
/// (a ``PGLocalTimestamp``): sent as `timestamptz`, a value bound to a `timestamp` parameter
/// would be shifted by the session's TimeZone.
///
/// ```swift
/// let start = PGTimestamp(year: 2024, month: 1, day: 1, hour: 12, microsecond: 250)!
/// start.description   // "2024-01-01 12:00:00.00025+00"
/// ```
public struct PGTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 2000-01-01 00:00:00 UTC; `Int64.max` is `infinity` and `Int64.min`
    /// is `-infinity`.
    public var microsecondsSince2000: Int64

    /// A timestamp from its raw binary value.
    public init(microsecondsSince2000: Int64) {
        self.microsecondsSince2000 = microsecondsSince2000
    }

    /// `infinity`, later than every other timestamp.
    public static let infinity = PGTimestamp(microsecondsSince2000: .max)
    /// `-infinity`, earlier than every other timestamp.
    public static let negativeInfinity = PGTimestamp(microsecondsSince2000: .min)

    /// True for ``infinity`` and ``negativeInfinity``.
    public var isInfinite: Bool { microsecondsSince2000 == .max || microsecondsSince2000 == .min }

    /// The instant `date`, rounded to the nearest microsecond; nil when `date` is not finite or
    /// is too far from 2000 for the binary format (about 292,000 years).
    public init?(_ date: Date) {
        guard let value = PGTimestampMath.microseconds(from: date) else { return nil }
        self.microsecondsSince2000 = value
    }

    /// The instant at a UTC calendar date and time, or nil when a component is out of range.
    public init?(
        year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0
    ) {
        guard
            let value = PGTimestampMath.microseconds(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                microsecond: microsecond)
        else { return nil }
        self.microsecondsSince2000 = value
    }

    /// The instant as a `Date` (exact to well below a microsecond for dates within thousands of
    /// years of 2000), or nil when the timestamp is infinite.
    public var date: Date? { PGTimestampMath.date(from: microsecondsSince2000) }

    /// The same value as a `timestamp` (without time zone): the UTC wall-clock time.
    public var withoutTimeZone: PGLocalTimestamp { PGLocalTimestamp(microsecondsSince2000: microsecondsSince2000) }

    public static func < (lhs: PGTimestamp, rhs: PGTimestamp) -> Bool {
        lhs.microsecondsSince2000 < rhs.microsecondsSince2000
    }

    /// In UTC, as PostgreSQL prints it with ISO DateStyle and TimeZone UTC:
    /// `2024-01-01 12:00:00.00025+00`, `infinity`.
    public var description: String { PGTimestampMath.text(microsecondsSince2000, suffix: "+00") }
}

/// A PostgreSQL `timestamp` (without time zone), exactly: a wall-clock date and time counted in
/// microseconds from 2000-01-01 00:00:00, including `infinity` and `-infinity`. Sent as
/// `timestamp`. Conversions to and from `Date` read the wall clock as UTC.
public struct PGLocalTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 2000-01-01 00:00:00; `Int64.max` is `infinity` and `Int64.min` is
    /// `-infinity`.
    public var microsecondsSince2000: Int64

    /// A timestamp from its raw binary value.
    public init(microsecondsSince2000: Int64) {
        self.microsecondsSince2000 = microsecondsSince2000
    }

    /// `infinity`, later than every other timestamp.
    public static let infinity = PGLocalTimestamp(microsecondsSince2000: .max)
    /// `-infinity`, earlier than every other timestamp.
    public static let negativeInfinity = PGLocalTimestamp(microsecondsSince2000: .min)

    /// True for ``infinity`` and ``negativeInfinity``.
    public var isInfinite: Bool { microsecondsSince2000 == .max || microsecondsSince2000 == .min }

    /// The UTC wall-clock time of `date`, rounded to the nearest microsecond; nil when `date` is
    /// not finite or too far from 2000.
    public init?(_ date: Date) {
        guard let value = PGTimestampMath.microseconds(from: date) else { return nil }
        self.microsecondsSince2000 = value
    }

    /// A wall-clock date and time, or nil when a component is out of range.
    public init?(
        year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0
    ) {
        guard
            let value = PGTimestampMath.microseconds(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                microsecond: microsecond)
        else { return nil }
        self.microsecondsSince2000 = value
    }

    /// The wall-clock time read as UTC, or nil when the timestamp is infinite.
    public var date: Date? { PGTimestampMath.date(from: microsecondsSince2000) }

    /// The wall-clock time read as UTC, as a `timestamptz`.
    public var inUTC: PGTimestamp { PGTimestamp(microsecondsSince2000: microsecondsSince2000) }

    public static func < (lhs: PGLocalTimestamp, rhs: PGLocalTimestamp) -> Bool {
        lhs.microsecondsSince2000 < rhs.microsecondsSince2000
    }

    /// As PostgreSQL prints it with ISO DateStyle: `2024-01-01 12:00:00.00025`, `infinity`.
    public var description: String { PGTimestampMath.text(microsecondsSince2000, suffix: "") }
}

/// Conversions shared by the timestamp types and the `Date` codec.
enum PGTimestampMath {
    /// The largest magnitude accepted from a `Date`, in microseconds, with room for the shift
    /// from 2001 to 2000 and away from the infinity sentinels.
    private static let limit = 9.2e18

    /// `date` in microseconds since 2000-01-01 UTC, rounded to nearest; nil when out of range.
    static func microseconds(from date: Date) -> Int64? {
        let scaled = (date.timeIntervalSinceReferenceDate * 1_000_000).rounded()
        guard scaled.isFinite, scaled > -limit, scaled < limit else { return nil }
        return Int64(scaled) + PGCalendar.microsecondsFrom2000To2001
    }

    /// The `Date` of a finite value, or nil for the infinities.
    static func date(from value: Int64) -> Date? {
        guard value != .max, value != .min else { return nil }
        let (seconds, microseconds) = value.quotientAndRemainder(dividingBy: 1_000_000)
        let sinceReference = Double(seconds - PGCalendar.microsecondsFrom2000To2001 / 1_000_000)
        return Date(timeIntervalSinceReferenceDate: sinceReference + Double(microseconds) / 1_000_000)
    }

    static func microseconds(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int
    ) -> Int64? {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
            (0...999_999).contains(microsecond),
            let days = PGCalendar.daysSince2000(year: year, month: month, day: day)
        else { return nil }
        let time = Int64(((hour * 60 + minute) * 60 + second) * 1_000_000 + microsecond)
        let (dayPart, overflow1) = Int64(days).multipliedReportingOverflow(by: PGCalendar.microsecondsPerDay)
        let (value, overflow2) = dayPart.addingReportingOverflow(time)
        guard !overflow1, !overflow2, value != .max, value != .min else { return nil }
        return value
    }

    static func text(_ value: Int64, suffix: String) -> String {
        if value == .max { return "infinity" }
        if value == .min { return "-infinity" }
        return PGCalendar.timestampText(microsecondsSince2000: value, suffix: suffix)
    }
}
