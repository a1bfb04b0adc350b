/// A PostgreSQL `interval`, exactly as stored: months, days and microseconds are kept apart,
/// because a month has no fixed number of days and a day no fixed number of hours (across a
/// daylight saving change).
///
/// Equality compares the three fields, so `1 mon` and `30 days` differ here, although
/// PostgreSQL's `=` operator calls them equal.
///
/// ```swift
/// let interval = PGInterval(months: 14, days: 3, microseconds: 4 * 3_600_000_000 + 500_000)
/// interval.description   // "1 year 2 mons 3 days 04:00:00.5"
/// ```
public struct PGInterval: Sendable, Hashable, CustomStringConvertible {
    /// Whole months (12 to a year).
    public var months: Int32
    /// Whole days.
    public var days: Int32
    /// The time part, in microseconds.
    public var microseconds: Int64

    /// An interval with these fields, kept apart as given (36 hours stays 36 hours, not one day and
    /// 12 hours).
    public init(months: Int32 = 0, days: Int32 = 0, microseconds: Int64 = 0) {
        self.months = months
        self.days = days
        self.microseconds = microseconds
    }

    /// A time-only interval of `seconds` seconds, rounded to the nearest microsecond; nil when
    /// `seconds` is not finite or too large.
    public init?(seconds: Double) {
        let scaled = (seconds * 1_000_000).rounded()
        guard scaled.isFinite, scaled > -9.2e18, scaled < 9.2e18 else { return nil }
        self.init(microseconds: Int64(scaled))
    }

    /// `infinity` (PostgreSQL 17 and later): every field at its maximum.
    public static let infinity = PGInterval(months: .max, days: .max, microseconds: .max)
    /// `-infinity` (PostgreSQL 17 and later): every field at its minimum.
    public static let negativeInfinity = PGInterval(months: .min, days: .min, microseconds: .min)

    /// As PostgreSQL prints it with the default IntervalStyle `postgres`:
    /// `1 year 2 mons 3 days 04:05:06.789`, `-1 days +02:00:00`, `00:00:00`.
    public var description: String {
        if self == .infinity { return "infinity" }
        if self == .negativeInfinity { return "-infinity" }
        var text = ""
        var isZero = true
        var isBefore = false
        // Each non-zero part is written with its unit, plural unless exactly 1; a positive part
        // after a negative one gets a "+" (as PostgreSQL's AddPostgresIntPart does).
        func part(_ value: Int, _ unit: String) {
            guard value != 0 else { return }
            if !isZero { text += " " }
            if isBefore && value > 0 { text += "+" }
            text += "\(value) \(unit)"
            if value != 1 { text += "s" }
            isBefore = value < 0
            isZero = false
        }
        part(Int(months / 12), "year")
        part(Int(months % 12), "mon")
        part(Int(days), "day")
        if isZero || microseconds != 0 {
            let hours = microseconds / 3_600_000_000
            let rest = microseconds % 3_600_000_000
            let minutes = Int(rest / 60_000_000)
            let seconds = Int(rest % 60_000_000 / 1_000_000)
            let fraction = Int(rest % 1_000_000)
            if !isZero { text += " " }
            text += microseconds < 0 ? "-" : (isBefore ? "+" : "")
            PGCalendar.appendPadded(Int(hours.magnitude), width: 2, to: &text)
            text += ":"
            PGCalendar.appendPadded(abs(minutes), width: 2, to: &text)
            text += ":"
            PGCalendar.appendPadded(abs(seconds), width: 2, to: &text)
            PGCalendar.appendFraction(abs(fraction), to: &text)
        }
        return text
    }
}
