extension BackendMessageDecoder {
    /// Decodes a DataRow body in one pass with the two allocations ``DataRow`` needs (its bytes and
    /// spans); every length is validated before the row is built. The scratch space
    /// for the validation is on the stack for ordinary rows.
    static func decodeDataRow(_ body: UnsafeRawBufferPointer) throws(PGError) -> DataRow {
        let type = UInt8(ascii: "D")
        let size = body.count
        guard size >= 2 else { throw violation(type: type, "column count needs 2 bytes, \(size) left") }
        // Offsets are stored as Int32; a message length is an Int32, so this holds for any
        // body that came off the wire.
        guard size <= Int(Int32.max) else { throw violation(type: type, "body of \(size) bytes") }
        let count = Int(Int16(bigEndian: body.loadUnaligned(as: Int16.self)))
        guard count >= 0 else { throw violation(type: type, "negative column count \(count)") }
        // Each column takes at least its 4 length bytes.
        guard count <= (size - 2) / 4 else {
            throw violation(type: type, "\(count) columns cannot fit in \(size - 2) bytes")
        }

        // Spans are validated into one scratch buffer (on the stack for ordinary rows), then
        // copied into the one array DataRow keeps: cheaper than growing it entry by entry.
        let spans = try withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * count) {
            (scratch) throws(PGError) -> [Int32] in
            var offset = 2
            for column in 0..<count {
                guard size - offset >= 4 else {
                    throw violation(type: type, "column \(column) length is truncated")
                }
                let length = Int32(bigEndian: body.loadUnaligned(fromByteOffset: offset, as: Int32.self))
                offset += 4
                if length == -1 {
                    scratch[2 * column] = -1
                    scratch[2 * column + 1] = 0
                } else if length < 0 {
                    throw violation(type: type, "column \(column) has negative length \(length)")
                } else if Int(length) > size - offset {
                    throw violation(
                        type: type, "column \(column) length \(length) exceeds the \(size - offset) bytes left")
                } else {
                    scratch[2 * column] = Int32(truncatingIfNeeded: offset)
                    scratch[2 * column + 1] = length
                    offset += Int(length)
                }
            }
            guard offset == size else {
                throw violation(type: type, "\(size - offset) unexpected trailing bytes")
            }
            return Array(UnsafeBufferPointer(rebasing: scratch[0..<(2 * count)]))
        }
        return DataRow(validatedBytes: ByteReader.copy(body), spans: spans)
    }
}
