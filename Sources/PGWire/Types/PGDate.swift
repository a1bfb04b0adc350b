#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A PostgreSQL `date`, exactly: a day count from 2000-01-01, including `infinity` and
/// `-infinity`.
///
/// Years use the proleptic Gregorian calendar with astronomical numbering, as PostgreSQL
/// computes them: year 0 is 1 BC and year -4712 is 4713 BC (PostgreSQL's earliest date).
///
/// ```swift
/// let day = PGDate(year: 2024, month: 2, day: 29)!
/// day.daysSince2000        // 8825
/// day.components?.month    // 2
/// ```
public struct PGDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 2000-01-01; `Int32.max` is `infinity` and `Int32.min` is `-infinity`.
    public var daysSince2000: Int32

    /// A date from its raw binary value.
    public init(daysSince2000: Int32) {
        self.daysSince2000 = daysSince2000
    }

    /// `infinity`, later than every other date.
    public static let infinity = PGDate(daysSince2000: .max)
    /// `-infinity`, earlier than every other date.
    public static let negativeInfinity = PGDate(daysSince2000: .min)

    /// True for ``infinity`` and ``negativeInfinity``.
    public var isInfinite: Bool { daysSince2000 == .max || daysSince2000 == .min }

    /// The date of a calendar day, or nil when there is no such day (February 30) or it is
    /// outside the range of the binary format.
    public init?(year: Int, month: Int, day: Int) {
        guard let days = PGCalendar.daysSince2000(year: year, month: month, day: day),
            days > Int(Int32.min), days < Int(Int32.max)
        else { return nil }
        self.daysSince2000 = Int32(days)
    }

    /// The calendar day, or nil when the date is infinite.
    public var components: (year: Int, month: Int, day: Int)? {
        isInfinite ? nil : PGCalendar.date(daysSince2000: Int(daysSince2000))
    }

    /// The UTC calendar day that contains `date`, or nil when `date` is not finite or is too far
    /// from 2000 for the binary format.
    public init?(_ date: Date) {
        let seconds = date.timeIntervalSinceReferenceDate
        guard seconds.isFinite else { return nil }
        let days = ((seconds + 366 * 86_400) / 86_400).rounded(.down)
        guard days > Double(Int32.min), days < Double(Int32.max) else { return nil }
        self.daysSince2000 = Int32(days)
    }

    /// Midnight UTC at the start of this day, or nil when the date is infinite.
    public var date: Date? {
        guard !isInfinite else { return nil }
        return Date(timeIntervalSinceReferenceDate: (Double(daysSince2000) - 366) * 86_400)
    }

    public static func < (lhs: PGDate, rhs: PGDate) -> Bool { lhs.daysSince2000 < rhs.daysSince2000 }

    /// As PostgreSQL prints it with ISO DateStyle: `2024-02-29`, `4713-01-01 BC`, `infinity`.
    public var description: String {
        if daysSince2000 == .max { return "infinity" }
        if daysSince2000 == .min { return "-infinity" }
        var text = ""
        var bc = false
        PGCalendar.appendDate(daysSince2000: Int(daysSince2000), to: &text, bcSuffix: &bc)
        return bc ? text + " BC" : text
    }
}
