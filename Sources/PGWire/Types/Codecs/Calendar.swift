/// Proleptic Gregorian calendar arithmetic on day counts, as PostgreSQL does it, with
/// astronomical year numbering (year 0 is 1 BC, year -4712 is 4713 BC). No Foundation, no
/// time zones: PostgreSQL's binary date and timestamp values count days and microseconds from
/// 2000-01-01 00:00:00 UTC.
enum PGCalendar {
    /// Days from 1970-01-01 to 2000-01-01.
    static let daysFrom1970To2000 = 10_957
    static let microsecondsPerDay: Int64 = 86_400_000_000
    /// Microseconds from 2000-01-01 to 2001-01-01 (Foundation's reference date); 2000 is a leap year.
    static let microsecondsFrom2000To2001: Int64 = 366 * 86_400_000_000
    /// Years outside this range are rejected before any arithmetic, so nothing can overflow.
    static let yearRange = -10_000_000...10_000_000

    /// The number of days in `month` of `year`, or 0 for a month outside 1...12.
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeapYear(year) ? 29 : 28
        default: return 0
        }
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Days since 2000-01-01 of a valid date, or nil when the date is invalid.
    static func daysSince2000(year: Int, month: Int, day: Int) -> Int? {
        guard yearRange.contains(year), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        // Count years from March, so that the leap day is the last day of the counted year.
        let marchYear = month <= 2 ? year - 1 : year
        let era = floorDivide(marchYear, 400)
        let yearOfEra = marchYear - era * 400  // 0...399
        let monthFromMarch = (month + 9) % 12  // March 0 ... February 11
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        // 0000-03-01 is 719468 days before 1970-01-01.
        return era * 146_097 + dayOfEra - 719_468 - daysFrom1970To2000
    }

    /// The date `days` days after 2000-01-01.
    static func date(daysSince2000 days: Int) -> (year: Int, month: Int, day: Int) {
        let fromMarch0 = days + daysFrom1970To2000 + 719_468
        let era = floorDivide(fromMarch0, 146_097)
        let dayOfEra = fromMarch0 - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    // MARK: Text, as PostgreSQL prints it (ISO DateStyle)

    /// `2024-02-29`, or `0044-03-15 BC` for years up to 0 (1 BC).
    static func appendDate(daysSince2000 days: Int, to text: inout String, bcSuffix: inout Bool) {
        let (year, month, day) = date(daysSince2000: days)
        bcSuffix = year <= 0
        appendPadded(bcSuffix ? 1 - year : year, width: 4, to: &text)
        text += "-"
        appendPadded(month, width: 2, to: &text)
        text += "-"
        appendPadded(day, width: 2, to: &text)
    }

    /// `2000-01-01 13:45:06.5` (trailing zeros of the fraction dropped), then `suffix`, then ` BC`.
    static func timestampText(microsecondsSince2000 value: Int64, suffix: String) -> String {
        let days = floorDivide(value, microsecondsPerDay)
        var time = value - days * microsecondsPerDay
        var text = ""
        var bc = false
        appendDate(daysSince2000: Int(days), to: &text, bcSuffix: &bc)
        text += " "
        let microseconds = Int(time % 1_000_000)
        time /= 1_000_000
        appendPadded(Int(time / 3600), width: 2, to: &text)
        text += ":"
        appendPadded(Int(time / 60 % 60), width: 2, to: &text)
        text += ":"
        appendPadded(Int(time % 60), width: 2, to: &text)
        appendFraction(microseconds, to: &text)
        text += suffix
        if bc { text += " BC" }
        return text
    }

    /// `.5` for 500000 microseconds, nothing for 0.
    static func appendFraction(_ microseconds: Int, to text: inout String) {
        guard microseconds != 0 else { return }
        var digits = microseconds
        var width = 6
        while digits % 10 == 0 {
            digits /= 10
            width -= 1
        }
        text += "."
        appendPadded(digits, width: width, to: &text)
    }

    static func appendPadded(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.utf8.count < width { text += String(repeating: "0", count: width - digits.utf8.count) }
        text += digits
    }
}
