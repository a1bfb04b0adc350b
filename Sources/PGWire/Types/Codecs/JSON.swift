#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// json: the JSON text. jsonb: a version byte 1, then the JSON text. In text format both are
// the JSON text.

extension PGJSON: PGArrayElement {
    public static var pgElementDataType: PGDataType { .jsonb }
    public static var pgArrayDataType: PGDataType { .jsonbArray }

    /// Appends the jsonb version byte and the value encoded with `JSONEncoder`. Throws
    /// ``PGError/Code/invalidArgument`` when the value cannot be encoded.
    public func encode(into buffer: inout [UInt8]) throws {
        let data: Data
        do {
            data = try PGJSONCoders.encoder.encode(value)
        } catch {
            throw PGError(.invalidArgument, "cannot encode \(Value.self) as JSON: \(error)")
        }
        buffer.append(PGStringCoding.jsonbVersion)
        buffer.append(contentsOf: data)
    }

    /// Decodes `json` or `jsonb` with `JSONDecoder`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> PGJSON {
        let text = try PGJSONCoding.text(bytes, type: type, format: format, for: Self.self)
        do {
            return PGJSON(try PGJSONCoders.decoder.decode(Value.self, from: Data(text)))
        } catch {
            throw decodingError(type, "invalid JSON for \(Value.self): \(error)")
        }
    }
}

extension PGRawJSON: PGArrayElement {
    public static var pgElementDataType: PGDataType { .jsonb }
    public static var pgArrayDataType: PGDataType { .jsonbArray }

    public func encode(into buffer: inout [UInt8]) throws {
        buffer.append(PGStringCoding.jsonbVersion)
        buffer.append(contentsOf: bytes)
    }

    /// Decodes `json` or `jsonb`, keeping the text as it arrived.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> PGRawJSON {
        PGRawJSON(bytes: [UInt8](try PGJSONCoding.text(bytes, type: type, format: format, for: Self.self)))
    }
}

enum PGJSONCoding {
    /// The JSON text of a json or jsonb value in either format.
    static func text<S: PGDecodable>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat, for swiftType: S.Type
    ) throws(PGError) -> ArraySlice<UInt8> {
        switch (type, format) {
        case (.jsonb, .binary): return try PGStringCoding.jsonbText(bytes, type: type, for: S.self)
        case (.json, _), (.jsonb, .text): return bytes
        default: throw S.typeError(type)
        }
    }
}
