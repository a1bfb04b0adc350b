#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension PGNumeric {
    /// The exact value of a `Decimal` (`Decimal.nan` becomes `NaN`). The display scale is the
    /// number of digits after the point that the `Decimal` holds.
    public init(_ decimal: Decimal) {
        if decimal.isNaN {
            self = .nan
            return
        }
        // Decimal's description is plain decimal notation with every digit, which parses exactly.
        self = PGNumeric(decimal.description) ?? .nan
    }
}

extension Decimal {
    /// The value of `numeric` when `Decimal` can hold it exactly (at most 38 significant
    /// digits and an exponent within -128...127), else nil. `NaN` becomes `Decimal.nan`;
    /// the infinities give nil.
    public init?(exactly numeric: PGNumeric) {
        switch numeric.sign {
        case .nan:
            self = .nan
            return
        case .infinity, .negativeInfinity:
            return nil
        case .positive, .negative:
            break
        }
        if numeric.isZero {
            self = 0
            return
        }
        // The significant decimal digits and the power of ten of the last one.
        var text = ""
        for (index, group) in numeric.digits.enumerated() {
            let digits = String(group)
            if index > 0 { text += String(repeating: "0", count: 4 - digits.utf8.count) }
            text += digits
        }
        var power = 4 * (Int(numeric.weight) - numeric.digits.count + 1)
        while text.utf8.last == UInt8(ascii: "0") {
            text.removeLast()
            power += 1
        }
        // Decimal's exponent is at most 127; larger powers move into the significand.
        if power > 127 {
            text += String(repeating: "0", count: min(power - 127, 40))
            power = 127
        }
        guard text.utf8.count <= 38, power >= -128, power <= 127 else { return nil }
        let sign = numeric.sign == .negative ? "-" : ""
        guard let value = Decimal(string: "\(sign)\(text)e\(power)"), PGNumeric(value) == numeric else { return nil }
        self = value
    }
}
