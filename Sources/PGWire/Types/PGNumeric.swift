/// A PostgreSQL `numeric`, exactly: arbitrary precision, with its display scale, `NaN` and
/// (PostgreSQL 14 and later) `Infinity` and `-Infinity`.
///
/// The value holds the fields of numeric's binary format: base-10000 ``digits`` (the first one
/// multiplied by 10000^``weight``), a ``sign`` and a ``displayScale`` (the number of decimal
/// digits after the point, zeros included, so that `1.50` stays `1.50`). It is kept in the
/// server's canonical form: no leading or trailing zero digits, no digits beyond the display
/// scale, and zero always positive.
///
/// ```swift
/// let price = PGNumeric("19.990")!
/// price.description                   // "19.990"
/// price.digits                        // [19, 9900]
/// PGNumeric(12_345_678).description   // "12345678"
/// Decimal(exactly: price)             // 19.99
/// ```
///
/// Equality and ordering compare values, as SQL does: `1.5 == 1.50`, and `NaN` equals itself
/// and sorts above `Infinity`. Compare ``description`` to tell display scales apart.
public struct PGNumeric: Sendable, Hashable, Comparable {
    /// The sign field of the binary format, which also marks the special values.
    public enum Sign: UInt16, Sendable, Hashable {
        /// A positive number, or zero.
        case positive = 0x0000
        /// A negative number.
        case negative = 0x4000
        /// `NaN`.
        case nan = 0xC000
        /// `Infinity` (PostgreSQL 14 and later).
        case infinity = 0xD000
        /// `-Infinity` (PostgreSQL 14 and later).
        case negativeInfinity = 0xF000
    }

    /// The sign, or which special value this is.
    public private(set) var sign: Sign
    /// The power of 10000 of the first digit (0 for the units group). 0 for zero and specials.
    public private(set) var weight: Int16
    /// The number of decimal digits after the point (`dscale`), at most 16383. 0 for specials.
    public private(set) var displayScale: UInt16
    /// The base-10000 digits, each 0...9999, most significant first; empty for zero and specials.
    public private(set) var digits: [UInt16]

    /// The largest display scale the binary format can carry (`NUMERIC_DSCALE_MAX`).
    public static let maximumDisplayScale: UInt16 = 0x3FFF

    /// `NaN`. Unlike a floating-point NaN it equals itself, and it sorts above every other value,
    /// `Infinity` included (as in PostgreSQL).
    public static let nan = PGNumeric(special: .nan)
    /// `Infinity` (PostgreSQL 14 and later).
    public static let infinity = PGNumeric(special: .infinity)
    /// `-Infinity` (PostgreSQL 14 and later).
    public static let negativeInfinity = PGNumeric(special: .negativeInfinity)
    /// Zero, with display scale 0 (`0`).
    public static let zero = PGNumeric(special: .positive)

    private init(special: Sign) {
        self.sign = special
        self.weight = 0
        self.displayScale = 0
        self.digits = []
    }

    /// A numeric from the fields of its binary format, normalised as `numeric_recv` does
    /// (digits hidden by the display scale are truncated away). Nil when a digit is above 9999,
    /// the display scale above ``maximumDisplayScale``, or the value out of numeric's range.
    /// For special values the other fields are ignored.
    public init?(sign: Sign, weight: Int16, displayScale: UInt16, digits: [UInt16]) {
        guard displayScale <= Self.maximumDisplayScale, digits.allSatisfy({ $0 < 10_000 }) else { return nil }
        guard let value = PGNumeric(normalizing: digits[...], sign: sign, weight: Int(weight), displayScale: Int(displayScale))
        else { return nil }
        self = value
    }

    /// The exact value of an integer.
    public init<T: FixedWidthInteger>(_ value: T) {
        var groups: [UInt16] = []
        var magnitude = value.magnitude
        while magnitude != 0 {
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10_000)
            groups.append(UInt16(remainder))
            magnitude = quotient
        }
        guard !groups.isEmpty else {
            self = .zero
            return
        }
        let weight = groups.count - 1
        let trailingZeros = groups.prefix { $0 == 0 }.count
        self.sign = value < 0 ? .negative : .positive
        self.weight = Int16(clamping: weight)  // reached only by integers of more than 435,000 bits
        self.displayScale = 0
        self.digits = Array(groups[trailingZeros...].reversed())
    }

    /// Normalises finite fields; nil when the weight ends up outside Int16.
    init?(normalizing input: ArraySlice<UInt16>, sign: Sign, weight: Int, displayScale: Int) {
        guard sign == .positive || sign == .negative else {
            self = PGNumeric(special: sign)
            return
        }
        var digits = input
        // Digit i stands for 10000^(weight - i); the display scale needs the groups up to
        // 10000^-ceil(scale / 4), and only some decimal digits of the last of them.
        let lastGroup = weight + (displayScale + 3) / 4
        let keep = lastGroup + 1  // number of leading entries of `digits` to keep
        if keep <= 0 {
            digits = []
        } else if keep < digits.count {
            digits = digits.prefix(keep)
        }
        if displayScale % 4 != 0, keep > 0, keep == digits.count {
            var factor: UInt16 = 1
            for _ in 0..<(4 - displayScale % 4) { factor *= 10 }
            let last = digits.index(before: digits.endIndex)
            digits[last] = digits[last] / factor * factor
        }
        var newWeight = weight
        while let first = digits.first, first == 0 {
            digits.removeFirst()
            newWeight -= 1
        }
        while let last = digits.last, last == 0 { digits.removeLast() }
        if digits.isEmpty {
            self.sign = .positive
            self.weight = 0
        } else {
            guard let exact = Int16(exactly: newWeight) else { return nil }
            self.sign = sign
            self.weight = exact
        }
        self.displayScale = UInt16(displayScale)
        self.digits = Array(digits)
    }

    /// True for `NaN`.
    public var isNaN: Bool { sign == .nan }
    /// True for `Infinity` and `-Infinity`.
    public var isInfinite: Bool { sign == .infinity || sign == .negativeInfinity }
    /// True for every value but `NaN` and the infinities.
    public var isFinite: Bool { sign == .positive || sign == .negative }
    /// True for zero, whatever its display scale.
    public var isZero: Bool { isFinite && digits.isEmpty }

    public static func == (lhs: PGNumeric, rhs: PGNumeric) -> Bool {
        lhs.sign == rhs.sign && lhs.weight == rhs.weight && lhs.digits == rhs.digits
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sign)
        hasher.combine(weight)
        hasher.combine(digits)
    }

    /// PostgreSQL's order: `-Infinity` < negative numbers < zero < positive numbers <
    /// `Infinity` < `NaN`.
    public static func < (lhs: PGNumeric, rhs: PGNumeric) -> Bool {
        let (left, right) = (lhs.rank, rhs.rank)
        if left != right { return left < right }
        switch lhs.sign {
        case .positive: return lhs.magnitudeIsLess(than: rhs)
        case .negative: return rhs.magnitudeIsLess(than: lhs)
        default: return false
        }
    }

    /// The class of the value for ordering: specials, signs and zero.
    private var rank: Int {
        switch sign {
        case .negativeInfinity: return 0
        case .negative: return 1
        case .positive: return digits.isEmpty ? 2 : 3
        case .infinity: return 4
        case .nan: return 5
        }
    }

    /// Compares magnitudes of two normalised non-zero values.
    private func magnitudeIsLess(than other: PGNumeric) -> Bool {
        if weight != other.weight { return weight < other.weight }
        for (left, right) in zip(digits, other.digits) where left != right { return left < right }
        return digits.count < other.digits.count
    }
}
