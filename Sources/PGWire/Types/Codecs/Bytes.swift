#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

// bytea: the binary format is the bytes themselves. In text format PostgreSQL writes `\x` and
// two hex digits per byte (bytea_output = hex, the default) or the older escape format.

extension UInt8: PGArrayRepresentable {
    /// `[UInt8]` is `bytea`.
    public static var pgArrayDataType: PGDataType { .bytea }

    public static func encodeArray(_ elements: [UInt8], into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: elements)
    }

    /// Decodes `bytea`.
    public static func decodeArray(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> [UInt8] {
        try PGByteaCoding.decode(bytes, type: type, format: format, for: [UInt8].self)
    }
}

/// `[UInt8]` as an array element: `[[UInt8]]` is `bytea[]`.
extension Array: PGArrayElement where Element == UInt8 {
    public static var pgElementDataType: PGDataType { .bytea }
}

extension Array: PGArrayRepresentable where Element == UInt8 {
    public static var pgArrayDataType: PGDataType { .byteaArray }
}

extension Data: PGArrayElement {
    public static var pgElementDataType: PGDataType { .bytea }
    public static var pgArrayDataType: PGDataType { .byteaArray }

    public func encode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: self)
    }

    /// Decodes `bytea`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Data {
        if format == .binary, type == .bytea { return Data(bytes) }
        return Data(try PGByteaCoding.decode(bytes, type: type, format: format, for: Data.self))
    }
}

enum PGByteaCoding {
    static func decode<S: PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat, for swiftType: S.Type
    ) throws(PGError) -> [UInt8] {
        guard type == .bytea else { throw S.typeError(type) }
        if format == .binary { return [UInt8](bytes) }
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\\"), bytes[bytes.startIndex + 1] == UInt8(ascii: "x") {
            guard let decoded = hex(bytes.dropFirst(2)) else {
                throw S.decodingError(type, "invalid hex bytea in text format")
            }
            return decoded
        }
        guard let decoded = escaped(bytes) else { throw S.decodingError(type, "invalid escaped bytea in text format") }
        return decoded
    }

    /// Pairs of hex digits (`byteain` also skips whitespace between pairs; the server never sends any).
    static func hex(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            guard let high = text[index].hexDigitValue, let low = text[index + 1].hexDigitValue else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }


    /// The escape format: `\\` is a backslash, `\ooo` an octal byte, anything else itself.
    static func escaped(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "\\") else {
                result.append(byte)
                index += 1
                continue
            }
            if index + 1 < text.endIndex, text[index + 1] == UInt8(ascii: "\\") {
                result.append(byte)
                index += 2
                continue
            }
            guard index + 3 < text.endIndex else { return nil }
            let digits = (text[index + 1], text[index + 2], text[index + 3])
            guard (UInt8(ascii: "0")...UInt8(ascii: "3")).contains(digits.0),
                (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digits.1),
                (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digits.2)
            else { return nil }
            let zero = UInt8(ascii: "0")
            result.append((digits.0 - zero) << 6 | (digits.1 - zero) << 3 | (digits.2 - zero))
            index += 4
        }
        return result
    }
}
