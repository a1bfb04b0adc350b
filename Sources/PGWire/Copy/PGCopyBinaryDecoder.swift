/// Reads binary COPY data (`COPY ... TO STDOUT (FORMAT binary)`) as it arrives, in CopyData
/// chunks of any size: a row may span chunks and a chunk may hold many rows.
///
/// ```swift
/// var decoder = PGCopyBinaryDecoder()
/// // for each CopyData payload:
/// decoder.append(payload)
/// while let row = try decoder.nextRow() { ... }   // row[i] is the binary value, nil for NULL
/// // at CopyDone:
/// try decoder.finish()
/// ```
///
/// Every length is checked against the bytes actually received before it is used, and nothing
/// is allocated from a count that came off the wire. Malformed data (a bad signature, the OIDs
/// flag or an unknown critical flag, a negative length other than -1, a field count that
/// differs from the first row's, bytes after the trailer) throws ``PGError/Code/protocolViolation``;
/// a row larger than ``maximumRowByteCount`` throws ``PGError/Code/messageTooLarge``. After a
/// throw the decoder keeps throwing the same error.
@_spi(Fuzzing)
public struct PGCopyBinaryDecoder: Sendable {
    private enum Phase: Sendable {
        case header
        case skippingExtension(remaining: Int)
        case tuples
        case finished
    }

    /// The largest row accepted, counted as the row's bytes in the stream (its field count and
    /// every length included). The default matches the largest DataRow message.
    public let maximumRowByteCount: Int

    /// Received bytes are `storage[readIndex...]`.
    private var storage: [UInt8] = []
    private var readIndex = 0
    private var phase = Phase.header
    /// The field count of the first row; every row must have it.
    private var fieldCount: Int?
    /// Progress through the incomplete row at `readIndex`: the fields and bytes already checked,
    /// so that a large row arriving in small chunks is scanned once, not once per chunk.
    private var scannedFields = 0
    private var scannedBytes = 0
    private var rows = 0
    private var failure: PGError?

    /// Creates a decoder. `maximumRowByteCount` is capped at `Int32.max`.
    public init(maximumRowByteCount: Int = 1 << 30) {
        self.maximumRowByteCount = Swift.min(Swift.max(maximumRowByteCount, 2), Int(Int32.max))
    }

    /// True once the trailer has been read.
    public var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    /// The number of rows returned so far.
    public var rowCount: Int { rows }

    /// Bytes received but not yet returned as rows.
    public var bufferedByteCount: Int { storage.count - readIndex }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        if bytes.isEmpty { return }
        if readIndex == storage.count {
            // Nothing is pending: take the array as it is (no copy). Usually a CopyData payload
            // holds exactly one row, which then becomes the row's storage as well.
            storage = bytes
            readIndex = 0
            return
        }
        makeRoom()
        storage.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if bytes.isEmpty { return }
        makeRoom()
        storage.append(contentsOf: bytes)
    }

    /// Returns the next row, or `nil` when more bytes are needed or the trailer was read.
    public mutating func nextRow() throws -> DataRow? {
        if let failure { throw failure }
        do throws(PGError) {
            return try decodeNext()
        } catch {
            failure = error
            throw error
        }
    }

    /// Checks that the data ended properly; call when the stream ends (CopyDone), after
    /// ``nextRow()`` has returned `nil`. Throws ``PGError/Code/protocolViolation`` unless the
    /// trailer was read and nothing followed it.
    public mutating func finish() throws {
        if let failure { throw failure }
        let left = storage.count - readIndex
        let error: PGError
        switch phase {
        case .finished:
            if left == 0 { return }
            error = Self.violation("\(left) bytes after the trailer")
        case .header, .skippingExtension:
            error = Self.violation("the data ended inside the header (\(left) bytes left)")
        case .tuples:
            error = Self.violation(
                left == 0
                    ? "the data ended without a trailer after \(rows) rows"
                    : "the data ended inside a row (\(left) bytes left) after \(rows) rows")
        }
        failure = error
        throw error
    }

    // MARK: Decoding

    private mutating func decodeNext() throws(PGError) -> DataRow? {
        while true {
            switch phase {
            case .header:
                guard try readHeader() else { return nil }
            case .skippingExtension(let remaining):
                let skipped = Swift.min(remaining, storage.count - readIndex)
                consume(skipped)
                if skipped < remaining {
                    phase = .skippingExtension(remaining: remaining - skipped)
                    return nil
                }
                phase = .tuples
            case .tuples:
                return try readTuple()
            case .finished:
                let left = storage.count - readIndex
                if left > 0 { throw Self.violation("\(left) bytes after the trailer") }
                return nil
            }
        }
    }

    /// Reads the fixed part of the header; false when more bytes are needed. A wrong signature
    /// is reported as soon as its first wrong byte is there.
    private mutating func readHeader() throws(PGError) -> Bool {
        let available = storage.count - readIndex
        let signature = PGCopyBinaryFormat.signature
        for index in 0..<Swift.min(available, signature.count) where storage[readIndex + index] != signature[index] {
            throw Self.violation("invalid binary COPY signature")
        }
        guard available >= PGCopyBinaryFormat.fixedHeaderSize else { return false }
        let flags = UInt32(bitPattern: loadInt32(at: readIndex + signature.count))
        if flags & PGCopyBinaryFormat.oidsFlag != 0 {
            throw Self.violation("the data includes OIDs (header flag bit 16), which are not supported")
        }
        if flags & PGCopyBinaryFormat.criticalFlags != 0 {
            throw Self.violation("unknown critical flags \(Self.hex(flags)) in the header")
        }
        let extensionLength = Int(loadInt32(at: readIndex + signature.count + 4))
        if extensionLength < 0 { throw Self.violation("negative header extension length \(extensionLength)") }
        consume(PGCopyBinaryFormat.fixedHeaderSize)
        phase = .skippingExtension(remaining: extensionLength)
        return true
    }

    /// Reads the tuple (or trailer) at `readIndex`; nil when more bytes are needed.
    private mutating func readTuple() throws(PGError) -> DataRow? {
        let available = storage.count - readIndex
        if scannedBytes == 0 {
            guard available >= 2 else { return nil }
            let count = Int(loadInt16(at: readIndex))
            if count == Int(PGCopyBinaryFormat.trailerFieldCount) {
                consume(2)
                phase = .finished
                if readIndex < storage.count { throw Self.violation("\(storage.count - readIndex) bytes after the trailer") }
                return nil
            }
            if count < 0 { throw Self.violation("negative field count \(count) in row \(rows + 1)") }
            if let fieldCount, count != fieldCount {
                throw Self.violation("row \(rows + 1) has \(count) fields, the first row has \(fieldCount)")
            }
            fieldCount = count
            scannedBytes = 2
        }
        let count = fieldCount ?? 0
        while scannedFields < count {
            guard available - scannedBytes >= 4 else { return nil }
            let length = Int(loadInt32(at: readIndex + scannedBytes))
            if length < -1 {
                throw Self.violation("field \(scannedFields + 1) of row \(rows + 1) has negative length \(length)")
            }
            let fieldSize = 4 + Swift.max(length, 0)
            if fieldSize > maximumRowByteCount - scannedBytes {
                throw PGError(
                    .messageTooLarge,
                    "binary COPY row \(rows + 1) exceeds the limit of \(maximumRowByteCount) bytes")
            }
            guard available - scannedBytes >= fieldSize else { return nil }
            scannedBytes += fieldSize
            scannedFields += 1
        }
        let row = makeRow(size: scannedBytes, fieldCount: count)
        scannedBytes = 0
        scannedFields = 0
        rows += 1
        return row
    }

    /// Builds the row from the validated tuple of `size` bytes at `readIndex` and consumes it.
    private mutating func makeRow(size: Int, fieldCount: Int) -> DataRow {
        let bytes: [UInt8]
        if readIndex == 0 && size == storage.count {
            bytes = storage  // the whole buffer is this row: hand it over
            storage = []
            readIndex = 0
        } else {
            bytes = Array(storage[readIndex..<(readIndex + size)])
            consume(size)
        }
        return DataRow(validatedBytes: bytes, count: fieldCount)
    }

    // MARK: Buffer

    private mutating func consume(_ count: Int) {
        readIndex += count
        if readIndex == storage.count {
            // Let go of the buffer rather than empty it in place: it is often a CopyData payload
            // the caller still holds, which emptying would reallocate.
            storage = []
            readIndex = 0
        }
    }

    /// Moves the unread bytes to the front when at least as many were consumed, so each byte is
    /// moved a bounded number of times on average.
    private mutating func makeRoom() {
        if readIndex > 0 && readIndex >= storage.count - readIndex {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    private func loadInt16(at offset: Int) -> Int16 {
        storage.withUnsafeBytes { Int16(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: Int16.self)) }
    }

    private func loadInt32(at offset: Int) -> Int32 {
        storage.withUnsafeBytes { Int32(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: Int32.self)) }
    }

    private static func violation(_ detail: String) -> PGError {
        PGError(.protocolViolation, "binary COPY data: \(detail)")
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: Swift.max(0, 8 - digits.count)) + digits
    }
}
