/// One row of a query result (a `D` message), holding the column values as the server sent them.
///
/// The decoder validates every length before building a `DataRow`, so reading a column never
/// fails and never reads outside the row.
@_spi(Fuzzing)
public struct DataRow: Sendable, Equatable {
    /// The message body as received: Int16 column count, then for each column an Int32 length
    /// (-1 for NULL) followed by that many bytes.
    public let bytes: [UInt8]
    /// For rows of more than ``walkLimit`` columns: for column `i`, at `2i` the offset of its
    /// first value byte in ``bytes`` (-1 for NULL), at `2i + 1` its length (0 for NULL). Empty
    /// for narrower rows, whose values are found by walking the length prefixes: a few loads
    /// cost less than allocating this array for every row.
    @usableFromInline let spans: [Int32]
    /// The number of columns.
    public let count: Int

    /// Rows this wide or narrower keep no span table.
    @usableFromInline static let walkLimit = 8

    /// Creates a row from a body (column count, then length-prefixed values) that the caller
    /// has validated: every length fits, nothing trails. Used by the decoders.
    init(validatedBytes bytes: [UInt8], count: Int) {
        self.bytes = bytes
        self.count = count
        guard count > Self.walkLimit else {
            spans = []
            return
        }
        spans = bytes.withUnsafeBytes { raw in
            [Int32](unsafeUninitializedCapacity: 2 * count) { spans, initialized in
                var offset = 2
                for column in 0..<count {
                    let length = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
                    offset += 4
                    if length < 0 {
                        spans[2 * column] = -1
                        spans[2 * column + 1] = 0
                    } else {
                        spans[2 * column] = Int32(truncatingIfNeeded: offset)
                        spans[2 * column + 1] = length
                        offset += Int(length)
                    }
                }
                initialized = 2 * count
            }
        }
    }

    /// Builds a row from column values (`nil` for NULL); used by tests and encoders.
    public init(columns: [[UInt8]?]) {
        var bytes: [UInt8] = []
        let count = UInt16(truncatingIfNeeded: columns.count)
        bytes.append(UInt8(count >> 8))
        bytes.append(UInt8(count & 0xFF))
        for column in columns {
            if let column {
                let length = UInt32(column.count)
                bytes.append(contentsOf: [
                    UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF),
                    UInt8(length & 0xFF),
                ])
                bytes.append(contentsOf: column)
            } else {
                bytes.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
            }
        }
        self.init(validatedBytes: bytes, count: columns.count)
    }

    /// The bytes of column `index`, or `nil` when the value is SQL NULL.
    /// - Precondition: `index` is in `0..<count` (a programming error, not server input).
    @inlinable public subscript(index: Int) -> ArraySlice<UInt8>? {
        let (start, length) = span(index)
        if start < 0 { return nil }
        return bytes[start..<(start + length)]
    }

    /// Column `index`'s first value byte and length; (-1, 0) for NULL.
    @usableFromInline func span(_ index: Int) -> (start: Int, length: Int) {
        precondition(index >= 0 && index < count, "column index \(index) is out of range 0..<\(count)")
        if !spans.isEmpty { return (Int(spans[2 * index]), Int(spans[2 * index + 1])) }
        return bytes.withUnsafeBytes { raw in
            var offset = 2
            var column = 0
            while true {
                let length = Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                offset += 4
                if column == index { return length < 0 ? (-1, 0) : (offset, length) }
                if length > 0 { offset += length }
                column += 1
            }
        }
    }

    /// The value of column `index` decoded as UTF-8 text, or `nil` for NULL.
    public func text(at index: Int) -> String? {
        guard let slice = self[index] else { return nil }
        return String(decoding: slice, as: UTF8.self)
    }

    /// All columns as UTF-8 text (text-format results), `nil` for NULL.
    public var texts: [String?] { (0..<count).map { text(at: $0) } }
}
