#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

// uuid: 16 bytes in binary format; `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in text format.

extension UUID: PGArrayElement {
    public static var pgElementDataType: PGDataType { .uuid }
    public static var pgArrayDataType: PGDataType { .uuidArray }

    public func encode(into buffer: inout [UInt8]) throws {
        Swift.withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
    }

    /// Decodes `uuid`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> UUID {
        guard type == .uuid else { throw typeError(type) }
        if format == .binary {
            guard bytes.count == 16 else { throw sizeError(type, expected: 16, actual: bytes.count) }
            return UUID(uuid: bytes.withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) })
        }
        guard bytes.count == 36, let value = UUID(uuidString: String(decoding: bytes, as: UTF8.self)) else {
            throw decodingError(type, "invalid uuid in text format")
        }
        return value
    }
}
