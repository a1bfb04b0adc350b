/// One row of a query result (a `D` message), holding the column values as the server sent them.
///
/// The decoder validates every length before building a `DataRow`, so reading a column never
/// fails and never reads outside the row.
public struct DataRow: Sendable, Equatable {
    /// The message body as received: Int16 column count, then for each column an Int32 length
    /// (-1 for NULL) followed by that many bytes.
    public let bytes: [UInt8]
    /// For column `i`: at `2i` the offset of its first value byte in ``bytes`` (-1 for NULL),
    /// at `2i + 1` its length (0 for NULL). One array, not two: one allocation less per row.
    @usableFromInline let spans: [Int32]

    /// Creates a row from a body whose spans were already validated. Used by the decoders.
    init(validatedBytes: [UInt8], spans: [Int32]) {
        self.bytes = validatedBytes
        self.spans = spans
    }

    /// Builds a row from column values (`nil` for NULL); used by tests and encoders.
    public init(columns: [[UInt8]?]) {
        var bytes: [UInt8] = []
        var spans: [Int32] = []
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
                spans.append(Int32(bytes.count))
                spans.append(Int32(column.count))
                bytes.append(contentsOf: column)
            } else {
                bytes.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
                spans.append(-1)
                spans.append(0)
            }
        }
        self.bytes = bytes
        self.spans = spans
    }

    /// The number of columns in the row.
    @inlinable public var count: Int { spans.count / 2 }

    /// The bytes of column `index`, or `nil` when the value is SQL NULL.
    /// - Precondition: `index` is in `0..<count` (a programming error, not server input).
    @inlinable public subscript(index: Int) -> ArraySlice<UInt8>? {
        let start = Int(spans[2 * index])
        if start < 0 { return nil }
        return bytes[start..<(start + Int(spans[2 * index + 1]))]
    }

    /// The value of column `index` decoded as UTF-8 text, or `nil` for NULL.
    public func text(at index: Int) -> String? {
        guard let slice = self[index] else { return nil }
        return String(decoding: slice, as: UTF8.self)
    }

    /// All columns as UTF-8 text (text-format results), `nil` for NULL.
    public var texts: [String?] { (0..<count).map { text(at: $0) } }
}
