extension PGNumeric: LosslessStringConvertible, CustomStringConvertible {
    /// Parses a decimal number as `numeric_in` does: optional surrounding whitespace, an
    /// optional sign, digits with an optional point, an optional exponent (`1.5e-3`), or one of
    /// `NaN`, `Infinity`, `-Infinity`, `inf`, `-inf` (any case). The display scale is the
    /// number of digits after the point less the exponent, as in PostgreSQL: `"1.50"` keeps
    /// scale 2, `"1e5"` has scale 0, `"1.5e-3"` scale 4.
    ///
    /// Nil for anything else, and for values outside the binary format's range (a weight
    /// beyond Int16 or a display scale above 16383).
    public init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, Self.isSpace(first) { bytes.removeFirst() }
        while let last = bytes.last, Self.isSpace(last) { bytes.removeLast() }
        if let special = Self.special(bytes) {
            self = special
            return
        }
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        var decimals: [UInt8] = []
        decimals.reserveCapacity(bytes.count)
        var fractionDigits = 0
        var seenPoint = false
        while let byte = bytes.first {
            if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                decimals.append(byte - UInt8(ascii: "0"))
                if seenPoint { fractionDigits += 1 }
            } else {
                break
            }
            bytes.removeFirst()
        }
        guard !decimals.isEmpty else { return nil }
        var exponent = 0
        if let byte = bytes.first, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            bytes.removeFirst()
            guard let value = Self.parseExponent(bytes) else { return nil }
            exponent = value
            bytes = []
        }
        guard bytes.isEmpty else { return nil }
        let displayScale = max(0, fractionDigits - exponent)
        guard displayScale <= Int(Self.maximumDisplayScale) else { return nil }
        guard
            let value = Self.fromDecimalDigits(
                decimals, lastDigitPower: exponent - fractionDigits, negative: negative, displayScale: displayScale)
        else { return nil }
        self = value
    }

    /// The value as PostgreSQL prints it: every digit, no exponent, exactly ``displayScale``
    /// digits after the point (`1.50`, `0.000`, `-123.4500`), or `NaN`, `Infinity`, `-Infinity`.
    public var description: String {
        switch sign {
        case .nan: return "NaN"
        case .infinity: return "Infinity"
        case .negativeInfinity: return "-Infinity"
        case .positive, .negative: break
        }
        var text: [UInt8] = []
        text.reserveCapacity(4 * (max(Int(weight), 0) + 1) + Int(displayScale) + 2)
        if sign == .negative { text.append(UInt8(ascii: "-")) }
        func digit(at index: Int) -> Int { index >= 0 && index < digits.count ? Int(digits[index]) : 0 }
        if weight < 0 {
            text.append(UInt8(ascii: "0"))
        } else {
            for index in 0...Int(weight) {
                var group = digit(at: index)
                var divisor = 1000
                if index == 0 {
                    while divisor > 1, group < divisor { divisor /= 10 }
                }
                while divisor > 0 {
                    text.append(UInt8(ascii: "0") + UInt8(group / divisor))
                    group %= divisor
                    divisor /= 10
                }
            }
        }
        if displayScale > 0 {
            text.append(UInt8(ascii: "."))
            var remaining = Int(displayScale)
            var index = Int(weight) + 1
            while remaining > 0 {
                var group = digit(at: index)
                var divisor = 1000
                while divisor > 0, remaining > 0 {
                    text.append(UInt8(ascii: "0") + UInt8(group / divisor))
                    group %= divisor
                    divisor /= 10
                    remaining -= 1
                }
                index += 1
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: Parsing helpers

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func special(_ bytes: ArraySlice<UInt8>) -> PGNumeric? {
        guard bytes.count <= 9, let first = bytes.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return nil }
        switch String(decoding: bytes, as: UTF8.self).lowercased() {
        case "nan": return .nan
        case "infinity", "+infinity", "inf", "+inf": return .infinity
        case "-infinity", "-inf": return .negativeInfinity
        default: return nil
        }
    }

    /// An optionally signed exponent; nil when malformed or absurdly large.
    private static func parseExponent(_ bytes: ArraySlice<UInt8>) -> Int? {
        var rest = bytes
        var negative = false
        if let first = rest.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            rest.removeFirst()
        }
        guard !rest.isEmpty else { return nil }
        var value = 0
        for byte in rest {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            // Beyond this, no value fits numeric's weight and scale limits anyway.
            guard value <= 1_000_000 else { return nil }
        }
        return negative ? -value : value
    }

    /// Builds a numeric from decimal digits (values 0...9, most significant first) whose last
    /// digit stands for 10^`lastDigitPower`.
    static func fromDecimalDigits(
        _ decimals: [UInt8], lastDigitPower: Int, negative: Bool, displayScale: Int
    ) -> PGNumeric? {
        var significant = decimals[...]
        while let first = significant.first, first == 0 { significant.removeFirst() }
        var lowPower = lastDigitPower
        while let last = significant.last, last == 0 {
            significant.removeLast()
            lowPower += 1
        }
        if significant.isEmpty {
            return PGNumeric(normalizing: [], sign: .positive, weight: 0, displayScale: displayScale)
        }
        let highPower = lowPower + significant.count - 1
        let weight = PGCalendar.floorDivide(highPower, 4)
        guard let _ = Int16(exactly: weight) else { return nil }
        let groupCount = weight - PGCalendar.floorDivide(lowPower, 4) + 1
        var groups = [UInt16](repeating: 0, count: groupCount)
        var power = highPower
        for decimal in significant {
            let group = PGCalendar.floorDivide(power, 4)
            let place = power - 4 * group
            var value = UInt16(decimal)
            for _ in 0..<place { value *= 10 }
            groups[weight - group] += value
            power -= 1
        }
        return PGNumeric(
            normalizing: groups[...], sign: negative ? .negative : .positive, weight: weight,
            displayScale: displayScale)
    }
}
