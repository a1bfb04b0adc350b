extension BackendMessageDecoder {
    /// Decodes a DataRow body: every length is validated in one pass, then the body is copied
    /// (one allocation for rows of up to ``DataRow/walkLimit`` columns).
    static func decodeDataRow(_ body: UnsafeRawBufferPointer) throws(PGError) -> DataRow {
        DataRow(validatedBytes: ByteReader.copy(body), count: try validateDataRow(body))
    }

    /// Checks a DataRow body (column count, every length, nothing trailing); returns the
    /// column count.
    static func validateDataRow(_ body: UnsafeRawBufferPointer) throws(PGError) -> Int {
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

        // Every length is checked here, so DataRow may walk them without checks.
        var offset = 2
        for column in 0..<count {
            guard size - offset >= 4 else {
                throw violation(type: type, "column \(column) length is truncated")
            }
            let length = Int32(bigEndian: body.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            offset += 4
            if length == -1 { continue }
            guard length >= 0 else { throw violation(type: type, "column \(column) has negative length \(length)") }
            guard Int(length) <= size - offset else {
                throw violation(
                    type: type, "column \(column) length \(length) exceeds the \(size - offset) bytes left")
            }
            offset += Int(length)
        }
        guard offset == size else {
            throw violation(type: type, "\(size - offset) unexpected trailing bytes")
        }
        return count
    }
}
