import FoundationEssentials
import Testing

@testable import PGWire

/// date, timestamp, timestamptz and interval. Vectors from date_send, timestamp_send,
/// timestamptz_send and interval_send; texts as a PostgreSQL 15 server prints them with
/// DateStyle ISO, TimeZone UTC and IntervalStyle postgres.
@Suite("Type codecs: date and time")
struct TypeCodecDateTimeTests {
    // MARK: date

    @Test func dateVectors() throws {
        let epoch = PGDate(year: 1970, month: 1, day: 1)!
        #expect(epoch.daysSince2000 == -10_957)
        #expect(try Codec.encode(epoch) == Codec.hex("ffffd533"))
        #expect(try Codec.decode(Codec.hex("ffffd533"), as: PGDate.self, type: .date) == epoch)
        #expect(try Codec.encode(PGDate.infinity) == Codec.hex("7fffffff"))
        #expect(try Codec.encode(PGDate.negativeInfinity) == Codec.hex("80000000"))
        let last = try Codec.decode(Codec.hex("002c95d3"), as: PGDate.self, type: .date)
        #expect(last.components! == (9999, 12, 31))
        #expect(last.description == "9999-12-31")
    }

    @Test func dateBeforeChrist() throws {
        // '4713-01-01 BC'::date, PostgreSQL's earliest date: astronomical year -4712.
        let first = try Codec.decode(Codec.hex("ffda97cd"), as: PGDate.self, type: .date)
        #expect(first.components! == (-4712, 1, 1))
        #expect(first == PGDate(year: -4712, month: 1, day: 1))
        #expect(first.description == "4713-01-01 BC")
        #expect(PGDate(year: 1, month: 1, day: 1).map { PGDate(daysSince2000: $0.daysSince2000 - 1) }?.description
            == "0001-12-31 BC")
    }

    @Test func dateInfinity() throws {
        #expect(try Codec.roundTrip(PGDate.infinity) == .infinity)
        #expect(PGDate.infinity.isInfinite && PGDate.negativeInfinity.isInfinite)
        #expect(PGDate.infinity.components == nil && PGDate.infinity.date == nil)
        #expect(PGDate.negativeInfinity < PGDate(year: -4712, month: 1, day: 1)!)
        #expect(PGDate.infinity.description == "infinity" && PGDate.negativeInfinity.description == "-infinity")
        expectDecodingError(
            Codec.decodeError(Codec.hex("7fffffff"), as: Date.self, type: .date), "infinity cannot be represented as Date")
    }

    @Test func invalidCalendarDatesAreRejected() {
        #expect(PGDate(year: 2023, month: 2, day: 29) == nil)
        #expect(PGDate(year: 2024, month: 2, day: 29) != nil)
        #expect(PGDate(year: 1900, month: 2, day: 29) == nil)
        #expect(PGDate(year: 2000, month: 2, day: 29) != nil)
        #expect(PGDate(year: 0, month: 2, day: 29) != nil)  // 1 BC was a leap year
        #expect(PGDate(year: 2024, month: 4, day: 31) == nil)
        #expect(PGDate(year: 2024, month: 13, day: 1) == nil)
        #expect(PGDate(year: 2024, month: 0, day: 1) == nil)
        #expect(PGDate(year: 2024, month: 1, day: 0) == nil)
        #expect(PGDate(year: 6_000_000, month: 1, day: 1) == nil)  // beyond Int32 days
        #expect(PGDate(year: Int.max, month: 1, day: 1) == nil)
    }

    @Test func calendarIsConsistentDayByDay() {
        // Every day for ±3000 years around 2000: the next day follows the calendar rules and
        // the components convert back to the same day count.
        var previous = PGCalendar.date(daysSince2000: -1_100_001)
        for days in -1_100_000...1_100_000 {
            let current = PGCalendar.date(daysSince2000: days)
            let expected: (Int, Int, Int)
            if previous.day < PGCalendar.daysInMonth(year: previous.year, month: previous.month) {
                expected = (previous.year, previous.month, previous.day + 1)
            } else if previous.month < 12 {
                expected = (previous.year, previous.month + 1, 1)
            } else {
                expected = (previous.year + 1, 1, 1)
            }
            if current != expected || PGCalendar.daysSince2000(year: current.0, month: current.1, day: current.2) != days {
                Issue.record("day \(days): \(current), expected \(expected)")
                return
            }
            previous = current
        }
    }

    @Test func calendarRoundTripsOverTheWholeRange() {
        for days in stride(from: Int(Int32.min) + 1, to: Int(Int32.max), by: 9_973) {
            let (year, month, day) = PGCalendar.date(daysSince2000: days)
            #expect(PGCalendar.daysSince2000(year: year, month: month, day: day) == days)
        }
    }

    @Test func dateAgreesWithFoundationsGregorianCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for (year, month, day) in [(1583, 1, 1), (1900, 3, 1), (1969, 12, 31), (2038, 1, 19), (9999, 12, 31)] {
            let expected = calendar.date(from: DateComponents(year: year, month: month, day: day))!
            #expect(PGDate(year: year, month: month, day: day)?.date == expected)
            #expect(PGDate(expected) == PGDate(year: year, month: month, day: day))
        }
        // A date late in a UTC day still belongs to that day; before 1970 too.
        #expect(PGDate(Date(timeIntervalSince1970: -1))!.components! == (1969, 12, 31))
    }

    // MARK: timestamp and timestamptz

    @Test func timestampVectors() throws {
        let y2k = PGTimestamp(year: 2000, month: 1, day: 1)!
        #expect(y2k.microsecondsSince2000 == 0)
        #expect(try Codec.encode(y2k) == Codec.hex("0000000000000000"))
        #expect(y2k.pgDataType == .timestamptz)
        let lastMicrosecond = PGLocalTimestamp(
            year: 1999, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 999_999)!
        #expect(lastMicrosecond.pgDataType == .timestamp)
        #expect(try Codec.encode(lastMicrosecond) == Codec.hex("ffffffffffffffff"))
        let epochPlus1 = try Codec.decode(Codec.hex("fffca2fec4c82001"), as: PGTimestamp.self, type: .timestamptz)
        #expect(epochPlus1 == PGTimestamp(year: 1970, month: 1, day: 1, microsecond: 1))
        #expect(epochPlus1.date == Date(timeIntervalSince1970: 0.000_001))
        #expect(try Codec.encode(PGTimestamp.infinity) == Codec.hex("7fffffffffffffff"))
        #expect(try Codec.encode(PGLocalTimestamp.negativeInfinity) == Codec.hex("8000000000000000"))
    }

    @Test func timestampDescriptions() {
        #expect(PGLocalTimestamp(year: 2024, month: 2, day: 29, hour: 12, microsecond: 250)!.description
            == "2024-02-29 12:00:00.00025")
        #expect(PGTimestamp(year: -4712, month: 1, day: 1, microsecond: 500_000)!.description
            == "4713-01-01 00:00:00.5+00 BC")
        #expect(PGTimestamp(year: 1969, month: 7, day: 20, hour: 20, minute: 17, second: 40)!.description
            == "1969-07-20 20:17:40+00")
        #expect(PGTimestamp.infinity.description == "infinity")
        #expect(PGLocalTimestamp.negativeInfinity.description == "-infinity")
    }

    @Test func timestampsKeepEveryMicrosecond() throws {
        for value: Int64 in [0, 1, -1, 123_456_789, -9_876_543_210_123, 252_455_615_999_999_999, -211_813_488_000_000_000] {
            #expect(try Codec.roundTrip(PGTimestamp(microsecondsSince2000: value)).microsecondsSince2000 == value)
            #expect(try Codec.roundTrip(PGLocalTimestamp(microsecondsSince2000: value)).microsecondsSince2000 == value)
        }
        #expect(try Codec.roundTrip(PGTimestamp.infinity) == .infinity)
        #expect(try Codec.roundTrip(PGTimestamp.negativeInfinity) == .negativeInfinity)
        // Either type reads both timestamp types (same binary format).
        let wire = try Codec.encode(PGTimestamp(microsecondsSince2000: 42))
        #expect(try Codec.decode(wire, as: PGLocalTimestamp.self, type: .timestamptz).microsecondsSince2000 == 42)
        #expect(try Codec.decode(wire, as: PGTimestamp.self, type: .timestamp).microsecondsSince2000 == 42)
        #expect(PGTimestamp(microsecondsSince2000: 42).withoutTimeZone.inUTC == PGTimestamp(microsecondsSince2000: 42))
    }

    @Test func timestampComponentsAreValidated() {
        #expect(PGTimestamp(year: 2024, month: 1, day: 1, hour: 24) == nil)
        #expect(PGTimestamp(year: 2024, month: 1, day: 1, minute: 60) == nil)
        #expect(PGTimestamp(year: 2024, month: 1, day: 1, second: 60) == nil)
        #expect(PGTimestamp(year: 2024, month: 1, day: 1, microsecond: 1_000_000) == nil)
        #expect(PGTimestamp(year: 2024, month: 1, day: 32) == nil)
        #expect(PGTimestamp(year: 300_000, month: 1, day: 1) == nil)  // beyond Int64 microseconds
    }

    @Test func datesRoundTripToTheMicrosecond() throws {
        let dates = [
            Date(timeIntervalSince1970: 1_700_000_000.123_456), Date(timeIntervalSince1970: -1_234_567.000_001),
            Date(timeIntervalSinceReferenceDate: 0), Date(timeIntervalSince1970: 0),
        ]
        for date in dates {
            #expect(Date.pgElementDataType == .timestamptz)
            let back = try Codec.roundTrip(date)
            #expect(abs(back.timeIntervalSince(date)) < 0.000_000_5)
            let exact = PGTimestamp(date)!
            #expect(exact.date.flatMap(PGTimestamp.init) == exact)
        }
        // Rounded to the nearest microsecond, not truncated.
        #expect(PGTimestamp(Date(timeIntervalSinceReferenceDate: 0.000_000_7))?.microsecondsSince2000
            == PGCalendar.microsecondsFrom2000To2001 + 1)
        #expect(PGTimestamp(Date(timeIntervalSinceReferenceDate: -0.000_000_7))?.microsecondsSince2000
            == PGCalendar.microsecondsFrom2000To2001 - 1)
    }

    @Test func farDatesStillConvert() throws {
        let far = PGTimestamp(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)!
        let early = PGTimestamp(year: -4712, month: 1, day: 1)!
        for value in [far, early] {
            let date = try Codec.decode(try Codec.encode(value), as: Date.self, type: .timestamptz)
            #expect(PGTimestamp(date) == value)
        }
        // `date` columns decode as Date at midnight UTC.
        let day = try Codec.encode(PGDate(year: 1969, month: 7, day: 20)!)
        #expect(try Codec.decode(day, as: Date.self, type: .date) == Date(timeIntervalSince1970: -14_256_000))
    }

    @Test func infiniteTimestampsAreNotDates() {
        expectDecodingError(
            Codec.decodeError(Codec.hex("7fffffffffffffff"), as: Date.self, type: .timestamptz), "infinity cannot")
        expectDecodingError(
            Codec.decodeError(Codec.hex("8000000000000000"), as: Date.self, type: .timestamp), "-infinity cannot")
        #expect(PGTimestamp.infinity.date == nil)
        #expect(PGTimestamp(Date(timeIntervalSinceReferenceDate: .infinity)) == nil)
        #expect(PGTimestamp(Date(timeIntervalSinceReferenceDate: 1e300)) == nil)
        #expect(Codec.encodeError(Date(timeIntervalSinceReferenceDate: 1e300))?.code == .invalidArgument)
    }

    @Test func dateTimeDecodingIsChecked() {
        expectDecodingError(Codec.decodeError([0, 0, 0, 0], as: PGTimestamp.self, type: .timestamptz), "expected 8 bytes")
        expectDecodingError(Codec.decodeError([0, 0, 0], as: PGDate.self, type: .date), "expected 4 bytes")
        expectDecodingError(Codec.decodeError([0, 0, 0, 0], as: PGDate.self, type: .int4), "cannot be decoded")
        expectDecodingError(Codec.decodeError([0, 0, 0, 0, 0, 0, 0, 0], as: Date.self, type: .int8), "cannot be decoded")
        expectDecodingError(
            Codec.decodeError(Array("2024-01-01".utf8), as: PGDate.self, type: .date, format: .text),
            "text format is not supported")
        expectDecodingError(
            Codec.decodeError(Array("2024-01-01 00:00:00+00".utf8), as: Date.self, type: .timestamptz, format: .text),
            "text format is not supported")
    }

    // MARK: interval

    @Test func intervalVectors() throws {
        // interval_send('1 year 2 mons 3 days 04:05:06.789'): time, days, months.
        let interval = PGInterval(months: 14, days: 3, microseconds: 14_706_789_000)
        let wire = Codec.hex("000000036c97ca88000000030000000e")
        #expect(try Codec.encode(interval) == wire)
        #expect(try Codec.decode(wire, as: PGInterval.self, type: .interval) == interval)
        #expect(interval.description == "1 year 2 mons 3 days 04:05:06.789")
        // interval_send('-1 day +02:00')
        let mixed = try Codec.decode(Codec.hex("00000001ad274800ffffffff00000000"), as: PGInterval.self, type: .interval)
        #expect(mixed == PGInterval(days: -1, microseconds: 7_200_000_000))
        #expect(mixed.description == "-1 days +02:00:00")
    }

    @Test func intervalDescriptionsMatchPostgres() {
        #expect(PGInterval().description == "00:00:00")
        #expect(PGInterval(months: -14).description == "-1 years -2 mons")
        #expect(PGInterval(months: 1, days: -1, microseconds: -1_500_000).description == "1 mon -1 days -00:00:01.5")
        #expect(PGInterval(days: 1, microseconds: 3_600_000_000).description == "1 day 01:00:00")
        #expect(PGInterval(months: -1, days: 1, microseconds: -3_600_000_000).description == "-1 mons +1 day -01:00:00")
        #expect(PGInterval.infinity.description == "infinity")
    }

    @Test func intervalEdgesRoundTrip() throws {
        for value in [
            PGInterval(months: .min, days: .max, microseconds: .min), PGInterval(months: .max, days: .min, microseconds: .max),
            PGInterval(), .infinity, .negativeInfinity, PGInterval(seconds: 0.000_001)!,
        ] {
            #expect(try Codec.roundTrip(value) == value)
        }
        #expect(PGInterval(seconds: 1.5)?.microseconds == 1_500_000)
        #expect(PGInterval(seconds: .nan) == nil)
        expectDecodingError(Codec.decodeError([UInt8](repeating: 0, count: 15), as: PGInterval.self, type: .interval), "expected 16")
        expectDecodingError(Codec.decodeError([UInt8](repeating: 0, count: 17), as: PGInterval.self, type: .interval), "got 17")
    }
}
