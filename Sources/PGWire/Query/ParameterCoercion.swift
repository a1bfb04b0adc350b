/// Adapts encoded parameters to the types a prepared statement was planned with.
///
/// A value is encoded in its own width (`Int` as int8), but a statement prepared without
/// explicit types may expect int4 for `$1`; binary int8 bytes would then be rejected. Integers
/// and floats are re-encoded to the expected width (with a range check); other types are sent
/// as they are and the server judges them.
enum ParameterCoercion {
    static func adapt(_ bindings: PGBindings, to types: [PGDataType]) throws -> PGBindings {
        var adapted = bindings
        // Decoded only when some parameter needs adapting (usually none does).
        var decoded: [[UInt8]?]?
        for index in 0..<min(bindings.count, types.count) {
            let from = bindings.dataTypes[index]
            let to = types[index]
            guard from != to, to != .unspecified else { continue }
            if decoded == nil { decoded = bindings.values }
            guard let bytes = decoded![index] else { continue }
            if let integer = integerValue(bytes, from), let width = integerWidth(to) {
                adapted.replace(at: index, with: try encodeInteger(integer, width: width, index: index, type: to), as: to)
            } else if let value = floatValue(bytes, from), to == .float8 {
                adapted.replace(at: index, with: bigEndian(value.bitPattern), as: to)
            } else if let value = floatValue(bytes, from), to == .float4 {
                adapted.replace(at: index, with: bigEndian(Float(value).bitPattern), as: to)
            } else if let integer = integerValue(bytes, from), to == .float8 {
                adapted.replace(at: index, with: bigEndian(Double(integer).bitPattern), as: to)
            } else if let integer = integerValue(bytes, from), to == .numeric {
                adapted.replace(at: index, with: numericBytes(integer), as: to)
            }
        }
        return adapted
    }

    private static func integerWidth(_ type: PGDataType) -> Int? {
        switch type {
        case .int2: return 2
        case .int4: return 4
        case .int8: return 8
        default: return nil
        }
    }

    private static func integerValue(_ bytes: [UInt8], _ type: PGDataType) -> Int64? {
        guard let width = integerWidth(type), bytes.count == width else { return nil }
        var value: Int64 = bytes[0] >= 0x80 ? -1 : 0
        for byte in bytes { value = (value << 8) | Int64(byte) }
        return value
    }

    private static func floatValue(_ bytes: [UInt8], _ type: PGDataType) -> Double? {
        var bits: UInt64 = 0
        for byte in bytes { bits = (bits << 8) | UInt64(byte) }
        switch (type, bytes.count) {
        case (.float4, 4): return Double(Float(bitPattern: UInt32(bits)))
        case (.float8, 8): return Double(bitPattern: bits)
        default: return nil
        }
    }

    private static func encodeInteger(_ value: Int64, width: Int, index: Int, type: PGDataType) throws -> [UInt8] {
        let fits: Bool
        switch width {
        case 2: fits = Int64(Int16.min)...Int64(Int16.max) ~= value
        case 4: fits = Int64(Int32.min)...Int64(Int32.max) ~= value
        default: fits = true
        }
        guard fits else {
            throw PGError(.invalidArgument, "parameter $\(index + 1) is out of range for \(type)")
        }
        return (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// An integer as a binary numeric: base-10000 digits, weight, sign, dscale 0.
    private static func numericBytes(_ value: Int64) -> [UInt8] {
        var magnitude = value.magnitude
        var digits: [UInt16] = []
        while magnitude > 0 {
            digits.insert(UInt16(magnitude % 10000), at: 0)
            magnitude /= 10000
        }
        while let last = digits.last, last == 0 { digits.removeLast() }
        let weight = Int16(max(0, digitsCount(value.magnitude) - 1))
        var bytes: [UInt8] = []
        bytes += bigEndian(UInt16(digits.count))
        bytes += bigEndian(weight)
        bytes += bigEndian(UInt16(value < 0 ? 0x4000 : 0))
        bytes += bigEndian(UInt16(0))
        for digit in digits { bytes += bigEndian(digit) }
        return bytes
    }

    /// The number of base-10000 digits of `magnitude` (0 for zero).
    private static func digitsCount(_ magnitude: UInt64) -> Int {
        var count = 0
        var rest = magnitude
        while rest > 0 {
            count += 1
            rest /= 10000
        }
        return count
    }
}
