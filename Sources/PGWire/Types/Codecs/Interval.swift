// interval: Int64 microseconds, Int32 days, Int32 months (interval_send's order).

extension PGInterval: PGArrayElement {
    public static var pgElementDataType: PGDataType { .interval }
    public static var pgArrayDataType: PGDataType { .intervalArray }

    public func encode(into buffer: inout [UInt8]) throws {
        buffer.appendBigEndian(microseconds)
        buffer.appendBigEndian(days)
        buffer.appendBigEndian(months)
    }

    /// Decodes `interval`.
    public static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> PGInterval {
        guard type == .interval else { throw typeError(type) }
        guard format == .binary else { throw textFormatError(type) }
        guard bytes.count == 16 else { throw sizeError(type, expected: 16, actual: bytes.count) }
        let start = bytes.startIndex
        return PGInterval(
            months: bytes[(start + 12)...].loadBigEndian(as: Int32.self),
            days: bytes[(start + 8)..<(start + 12)].loadBigEndian(as: Int32.self),
            microseconds: bytes[start..<(start + 8)].loadBigEndian(as: Int64.self))
    }
}
