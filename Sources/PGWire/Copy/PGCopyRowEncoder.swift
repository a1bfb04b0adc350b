/// Builds binary COPY data (`COPY ... FROM STDIN (FORMAT binary)`) in one reusable buffer.
///
/// ```swift
/// var encoder = PGCopyRowEncoder()
/// encoder.writeHeader()
/// for event in events {
///     try encoder.writeRow(event.id, event.stream, event.version, PGRawJSON(event.data))
///     if encoder.byteCount >= 64 * 1024 { send(encoder.buffer); encoder.removeAllBytes() }
/// }
/// encoder.writeTrailer()
/// send(encoder.buffer)
/// ```
///
/// Each value is encoded in its binary format straight into the buffer, behind a length that is
/// patched afterwards, so a row costs no allocation once the buffer has grown. Binary COPY has no
/// server-side conversion: every value must have exactly the binary format of its column's type
/// (an `Int64` for `int8`, ``PGRawJSON`` or ``PGJSON`` for `jsonb`, whose format starts with a
/// version byte; a `String` is only right for the text types). A mismatch makes the server
/// reject the data.
@_spi(Fuzzing)
public struct PGCopyRowEncoder: Sendable {
    @usableFromInline var storage: [UInt8]
    @usableFromInline var rows = 0

    /// Creates an encoder whose buffer has room for `reservingCapacity` bytes.
    public init(reservingCapacity: Int = 64 * 1024) {
        storage = []
        storage.reserveCapacity(Swift.max(reservingCapacity, 0))
    }

    /// The COPY data written since the last ``removeAllBytes()``.
    public var buffer: [UInt8] { storage }

    /// The number of bytes in ``buffer``.
    public var byteCount: Int { storage.count }

    /// The number of rows written since the encoder was created (``removeAllBytes()`` keeps it).
    public var rowCount: Int { rows }

    /// Appends the file header: signature, flags 0 (no OIDs), no header extension.
    public mutating func writeHeader() {
        storage.append(contentsOf: PGCopyBinaryFormat.signature)
        appendInt32(0)  // flags
        appendInt32(0)  // header extension length
    }

    /// Appends one row, the values in column order. `nil` (an `Optional` holding none) is NULL.
    ///
    /// When a value's encoding throws, the buffer is left as it was before the row.
    /// - Throws: the value's encoding error, or ``PGError/Code/invalidArgument`` for a value over
    ///   2 GiB or more than 32,767 values.
    @inlinable
    public mutating func writeRow<each Value: PGEncodable>(_ values: repeat each Value) throws {
        var count = 0
        repeat Self.countField((each Value).self, &count)
        try Self.checkFieldCount(count)
        let start = storage.count
        appendInt16(UInt16(truncatingIfNeeded: count))
        do {
            repeat try writeField(each values)
        } catch {
            storage.removeSubrange(start...)
            throw error
        }
        rows += 1
    }

    /// Appends one row of values whose types are known only at run time.
    ///
    /// Mind the overloads: an array literal, or an array typed `[any PGEncodable]`, is a row of
    /// several values, while a single typed array such as a `[String]` variable is one value
    /// (a `text[]` column) written by the generic `writeRow(_ values: repeat each Value)`.
    ///
    /// When a value's encoding throws, the buffer is left as it was before the row.
    public mutating func writeRow(_ values: [any PGEncodable]) throws {
        try Self.checkFieldCount(values.count)
        let start = storage.count
        appendInt16(UInt16(truncatingIfNeeded: values.count))
        do {
            for value in values { try writeField(value) }
        } catch {
            storage.removeSubrange(start...)
            throw error
        }
        rows += 1
    }

    /// Appends one row of values already in their binary format, `nil` for NULL.
    public mutating func writeRow(encodedFields: [[UInt8]?]) throws {
        try Self.checkFieldCount(encodedFields.count)
        for case let field? in encodedFields where field.count > Int(Int32.max) {
            throw Self.tooLarge(field.count)
        }
        appendInt16(UInt16(truncatingIfNeeded: encodedFields.count))
        for field in encodedFields {
            if let field {
                appendInt32(UInt32(truncatingIfNeeded: field.count))
                storage.append(contentsOf: field)
            } else {
                appendInt32(UInt32.max)  // -1: NULL
            }
        }
        rows += 1
    }

    /// Appends the trailer (field count -1) that ends the data.
    public mutating func writeTrailer() {
        appendInt16(UInt16(bitPattern: PGCopyBinaryFormat.trailerFieldCount))
    }

    /// Empties the buffer and keeps its capacity, after the caller has sent the bytes.
    /// (Release any copy of ``buffer`` first, or the buffer is reallocated.)
    public mutating func removeAllBytes() {
        storage.removeAll(keepingCapacity: true)
    }

    // MARK: Field encoding

    @inlinable @inline(__always)
    mutating func writeField<Value: PGEncodable>(_ value: Value) throws {
        if value.isPGNull {
            appendInt32(UInt32.max)  // -1: NULL
            return
        }
        let position = storage.count
        appendInt32(0)  // the length, patched below
        try value.encode(into: &storage)
        try patchLength(at: position)
    }

    @inlinable @inline(__always)
    mutating func appendInt16(_ value: UInt16) {
        storage.append(UInt8(truncatingIfNeeded: value >> 8))
        storage.append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable @inline(__always)
    mutating func appendInt32(_ value: UInt32) {
        // Byte by byte: measured faster than appending the bytes of `value.bigEndian`.
        storage.append(UInt8(truncatingIfNeeded: value >> 24))
        storage.append(UInt8(truncatingIfNeeded: value >> 16))
        storage.append(UInt8(truncatingIfNeeded: value >> 8))
        storage.append(UInt8(truncatingIfNeeded: value))
    }

    /// Writes the number of bytes after the 4-byte length at `position` into it.
    @inlinable @inline(__always)
    mutating func patchLength(at position: Int) throws {
        let length = storage.count - position - 4
        if length > Int(Int32.max) { throw Self.tooLarge(length) }
        storage.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(truncatingIfNeeded: length).bigEndian, toByteOffset: position, as: UInt32.self)
        }
    }

    @inlinable @inline(__always)
    static func countField<Value>(_: Value.Type, _ count: inout Int) { count += 1 }

    @inlinable @inline(__always)
    static func checkFieldCount(_ count: Int) throws {
        if count > Int(Int16.max) { throw tooManyFields(count) }
    }

    @usableFromInline
    static func tooManyFields(_ count: Int) -> PGError {
        PGError(.invalidArgument, "a COPY row of \(count) values exceeds the limit of \(Int16.max)")
    }

    @usableFromInline
    static func tooLarge(_ length: Int) -> PGError {
        PGError(.invalidArgument, "a value of \(length) bytes is too large to send")
    }
}
