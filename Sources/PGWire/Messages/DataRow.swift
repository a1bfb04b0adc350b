/// One row of a query result (a `D` message), holding the column values as the server sent them.
///
/// The decoder validates every length before building a `DataRow`, so reading a column never
/// fails and never reads outside the row.
public struct DataRow: Sendable, Equatable {
    /// The message body as received: Int16 column count, then for each column an Int32 length
    /// (-1 for NULL) followed by that many bytes.
    public let bytes: [UInt8]
    /// For each column, the offset of its first value byte in ``bytes``, or -1 for NULL.
    @usableFromInline let starts: [Int32]
    /// For each column, its length in bytes (0 for NULL).
    @usableFromInline let lengths: [Int32]

    /// Creates a row from a body whose lengths were already validated. Used by the decoder.
    init(validatedBytes: [UInt8], starts: [Int32], lengths: [Int32]) {
        self.bytes = validatedBytes
        self.starts = starts
        self.lengths = lengths
    }

    /// Builds a row from column values (`nil` for NULL); used by tests and encoders.
    public init(columns: [[UInt8]?]) {
        var bytes: [UInt8] = []
        var starts: [Int32] = []
        var lengths: [Int32] = []
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
                starts.append(Int32(bytes.count))
                lengths.append(Int32(column.count))
                bytes.append(contentsOf: column)
            } else {
                bytes.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
                starts.append(-1)
                lengths.append(0)
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
    }

    /// The number of columns in the row.
    @inlinable public var count: Int { starts.count }

    /// The bytes of column `index`, or `nil` when the value is SQL NULL.
    /// - Precondition: `index` is in `0..<count` (a programming error, not server input).
    @inlinable public subscript(index: Int) -> ArraySlice<UInt8>? {
        let start = Int(starts[index])
        if start < 0 { return nil }
        return bytes[start..<(start + Int(lengths[index]))]
    }

    /// The value of column `index` decoded as UTF-8 text, or `nil` for NULL.
    public func text(at index: Int) -> String? {
        guard let slice = self[index] else { return nil }
        return String(decoding: slice, as: UTF8.self)
    }

    /// All columns as UTF-8 text (text-format results), `nil` for NULL.
    public var texts: [String?] { (0..<count).map { text(at: $0) } }
}
