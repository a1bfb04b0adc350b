// Big-endian reading and writing for the value codecs, and the errors they throw.
//
// Every read checks the bytes that remain first, so a decoder built on these never reads
// outside its value and never traps, whatever the server sends.

extension Array where Element == UInt8 {
    /// Appends `value` in network byte order.
    @inline(__always)
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        // Byte by byte: measured faster than appending the bytes of `value.bigEndian`.
        var shift = T.bitWidth - 8
        while shift >= 0 {
            append(UInt8(truncatingIfNeeded: value >> shift))
            shift -= 8
        }
    }

    /// Appends a placeholder Int32 length and returns where it is, for ``patchLength(at:)``.
    @inline(__always)
    mutating func appendLengthPlaceholder() -> Int {
        let position = count
        append(contentsOf: [0, 0, 0, 0])
        return position
    }

    /// Writes the number of bytes appended after the placeholder at `position` into it.
    /// Throws when a value is too large for an Int32 length.
    mutating func patchLength(at position: Int) throws(PGError) {
        let length = count - position - 4
        guard length <= Int(Int32.max) else {
            throw PGError(.invalidArgument, "a value of \(length) bytes is too large to send")
        }
        let bits = UInt32(length).bigEndian
        Swift.withUnsafeBytes(of: bits) { raw in
            for index in 0..<4 { self[position + index] = raw[index] }
        }
    }
}

extension ArraySlice where Element == UInt8 {
    /// Reads a big-endian integer that fills the whole slice.
    /// - Precondition: `count == MemoryLayout<T>.size` (callers check it first).
    @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(as type: T.Type) -> T {
        withUnsafeBytes { T(bigEndian: $0.loadUnaligned(as: T.self)) }
    }
}

/// A bounds-checked cursor over one value's bytes, for the variable-length binary formats
/// (numeric, interval, arrays). Reads return `nil` when too few bytes remain.
struct PGBinaryReader {
    let bytes: ArraySlice<UInt8>
    private(set) var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// The number of bytes not yet read.
    var remaining: Int { bytes.endIndex - index }

    @inline(__always)
    mutating func read<T: FixedWidthInteger>(_ type: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        let value = bytes[index..<(index + size)].loadBigEndian(as: T.self)
        index += size
        return value
    }

    /// The next `count` bytes, or nil when fewer remain (or `count` is negative).
    @inline(__always)
    mutating func readSlice(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, remaining >= count else { return nil }
        let slice = bytes[index..<(index + count)]
        index += count
        return slice
    }
}

extension PGDecodable {
    /// A decoding error for this type.
    static func decodingError(_ type: PGDataType, _ reason: String) -> PGError {
        PGError.decoding(swiftType: Self.self, type: type, reason)
    }

    /// The error for a fixed-size binary value of the wrong length.
    static func sizeError(_ type: PGDataType, expected: Int, actual: Int) -> PGError {
        decodingError(type, "expected \(expected) bytes in binary format, got \(actual)")
    }

    /// The error for a PostgreSQL type this Swift type cannot be decoded from.
    static func typeError(_ type: PGDataType) -> PGError {
        decodingError(type, "\(Self.self) cannot be decoded from PostgreSQL type \(type)")
    }

    /// The error for a value in text format that this type only reads in binary format.
    static func textFormatError(_ type: PGDataType) -> PGError {
        decodingError(type, "text format is not supported for \(Self.self); request binary results")
    }

    /// Reads a fixed-size big-endian integer that must fill `bytes` exactly.
    @inline(__always)
    static func decodeFixed<T: FixedWidthInteger>(
        _ bytes: ArraySlice<UInt8>, as integer: T.Type, type: PGDataType
    ) throws(PGError) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count == size else { throw sizeError(type, expected: size, actual: bytes.count) }
        return bytes.loadBigEndian(as: T.self)
    }
}
