// float4 and float8: the IEEE 754 bit pattern, big-endian. NaN and the infinities travel as
// their bit patterns; in text format PostgreSQL writes them `NaN`, `Infinity`, `-Infinity`.

extension Float: PGArrayElement {
    public static var pgElementDataType: PGDataType { .float4 }
    public static var pgArrayDataType: PGDataType { .float4Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(bitPattern) }

    /// Decodes `float4`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Float {
        guard type == .float4 else { throw typeError(type) }
        if format == .binary { return Float(bitPattern: try decodeFixed(bytes, as: UInt32.self, type: type)) }
        guard let value = PGFloatText.parse(bytes, as: Float.self) else {
            throw decodingError(type, "invalid float4 in text format")
        }
        return value
    }
}

extension Double: PGArrayElement {
    public static var pgElementDataType: PGDataType { .float8 }
    public static var pgArrayDataType: PGDataType { .float8Array }

    public func encode(into buffer: inout [UInt8]) throws { buffer.appendBigEndian(bitPattern) }

    /// Decodes `float8`, or `float4` (widened exactly).
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Double {
        switch (type, format) {
        case (.float8, .binary): return Double(bitPattern: try decodeFixed(bytes, as: UInt64.self, type: type))
        case (.float4, .binary): return Double(Float(bitPattern: try decodeFixed(bytes, as: UInt32.self, type: type)))
        case (.float8, .text):
            if let value = PGFloatText.parse(bytes, as: Double.self) { return value }
        case (.float4, .text):
            if let value = PGFloatText.parse(bytes, as: Float.self) { return Double(value) }
        default:
            throw typeError(type)
        }
        throw decodingError(type, "invalid \(type) in text format")
    }
}

/// Text-format floats as PostgreSQL prints them.
enum PGFloatText {
    static func parse<F: LosslessStringConvertible>(_ bytes: ArraySlice<UInt8>, as: F.Type) -> F? {
        // Only what float8out/float4out can print: digits, sign, point, exponent, or the words.
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                continue
            default:
                let text = String(decoding: bytes, as: UTF8.self)
                switch text {
                case "NaN": return F("nan")
                case "Infinity": return F("inf")
                case "-Infinity": return F("-inf")
                default: return nil
                }
            }
        }
        return F(String(decoding: bytes, as: UTF8.self))
    }
}
