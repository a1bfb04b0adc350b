// COPY's CSV format (PostgreSQL docs, COPY, "CSV Format"): one row per line, fields separated
// by the delimiter (a comma by default); a field holding the delimiter, a quote, a newline or a
// carriage return is quoted with `"`, a quote inside doubled. NULL is an empty unquoted field,
// so an empty string is written `""`.

/// Builds CSV COPY data (`COPY ... FROM STDIN (FORMAT csv)`) in one buffer.
public struct PGCopyCSVEncoder: Sendable {
    private var storage: [UInt8] = []
    private var rows = 0
    private let delimiter: UInt8

    /// An encoder for comma-separated data.
    public init() {
        delimiter = PGCopyDelimiter.comma
    }

    /// An encoder for data with another delimiter (the statement's `DELIMITER` option).
    /// - Throws: ``PGError/Code/invalidArgument`` for a delimiter PostgreSQL rejects in CSV format.
    public init(delimiter: Character) throws {
        self.delimiter = try PGCopyDelimiter.byte(delimiter, csv: true)
    }

    /// The COPY data written since the last ``removeAllBytes()``.
    public var buffer: [UInt8] { storage }

    /// The number of bytes in ``buffer``.
    public var byteCount: Int { storage.count }

    /// The number of rows written since the encoder was created.
    public var rowCount: Int { rows }

    /// Appends one row: the fields separated by the delimiter, nothing for `nil`, and a newline.
    ///
    /// A field is quoted when it is empty (so that it is not NULL), holds the delimiter, a quote,
    /// a newline or a carriage return, or is `\.` (the end-of-data marker).
    /// - Throws: ``PGError/Code/invalidArgument`` for a field holding a NUL character; the
    ///   buffer is then left as it was before the row.
    public mutating func writeRow(_ fields: [String?]) throws {
        let start = storage.count
        let quote = PGCopyDelimiter.quote
        for (index, field) in fields.enumerated() {
            if index > 0 { storage.append(delimiter) }
            guard let field else { continue }
            let bytes = field.utf8
            if bytes.contains(0) {
                storage.removeSubrange(start...)
                throw PGError(.invalidArgument, "a string containing a NUL character cannot be sent as text")
            }
            guard needsQuotes(bytes) else {
                storage.append(contentsOf: bytes)
                continue
            }
            storage.append(quote)
            for byte in bytes {
                if byte == quote { storage.append(quote) }
                storage.append(byte)
            }
            storage.append(quote)
        }
        storage.append(UInt8(ascii: "\n"))
        rows += 1
    }

    /// Empties the buffer and keeps its capacity, after the caller has sent the bytes.
    public mutating func removeAllBytes() {
        storage.removeAll(keepingCapacity: true)
    }

    private func needsQuotes(_ bytes: String.UTF8View) -> Bool {
        if bytes.isEmpty || bytes.elementsEqual([UInt8(ascii: "\\"), UInt8(ascii: ".")]) { return true }
        return bytes.contains { byte in
            byte == delimiter || byte == PGCopyDelimiter.quote || byte == 0x0A || byte == 0x0D
        }
    }
}

/// Reads CSV COPY data (`COPY ... TO STDOUT (FORMAT csv)`) as it arrives, in chunks of any size,
/// as rows of fields (`nil` for NULL).
///
/// An empty unquoted field is NULL and `""` is the empty string. Quotes may open and close
/// anywhere in a field, a doubled quote inside quotes is one quote, and newlines inside quotes
/// are data; CRLF line ends are accepted. Every row must have as many fields as the first; a
/// quoted field left open at the end, an unquoted carriage return or a field count that changes
/// throws ``PGError/Code/protocolViolation``, and the decoder keeps throwing it. A `HEADER` line
/// is returned as a row like any other. Bytes that are not UTF-8 are repaired (each bad
/// sequence becomes U+FFFD).
public struct PGCopyCSVDecoder: Sendable {
    private var lines = PGCopyLineBuffer(syntax: .csv(quote: PGCopyDelimiter.quote))
    private let delimiter: UInt8
    private var fieldCount: Int?
    private var rows = 0
    private var failure: PGError?

    /// A decoder for comma-separated data.
    public init() {
        delimiter = PGCopyDelimiter.comma
    }

    /// A decoder for data with another delimiter.
    /// - Throws: ``PGError/Code/invalidArgument`` for a delimiter PostgreSQL rejects in CSV format.
    public init(delimiter: Character) throws {
        self.delimiter = try PGCopyDelimiter.byte(delimiter, csv: true)
    }

    /// The number of rows returned so far.
    public var rowCount: Int { rows }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        lines.append(bytes)
    }

    /// Returns the next row, or `nil` when more bytes are needed.
    public mutating func nextRow() throws -> [String?]? {
        if let failure { throw failure }
        guard let range = lines.nextLine() else { return nil }
        let fields: [String?]
        do throws(PGError) {
            fields = try Self.parse(lines.storage[range], delimiter: delimiter, row: rows + 1)
            if let fieldCount, fields.count != fieldCount {
                throw Self.violation("row \(rows + 1) has \(fields.count) fields, the first row has \(fieldCount)")
            }
        } catch {
            failure = error
            throw error
        }
        lines.compactIfEmpty()
        fieldCount = fields.count
        rows += 1
        return fields
    }

    /// Checks that the data ended at the end of a row; call when the stream ends (CopyDone),
    /// after ``nextRow()`` has returned `nil`. Bytes left over are a truncated row (or a quoted
    /// field never closed): ``PGError/Code/protocolViolation``.
    public mutating func finish() throws {
        if let failure { throw failure }
        let left = lines.pendingByteCount
        if left == 0 { return }
        let error = Self.violation(
            lines.inEscape
                ? "the data ended inside a quoted field (\(left) bytes left)"
                : "the data ended inside a row (\(left) bytes left)")
        failure = error
        throw error
    }

    /// Splits one line (without its newline, quotes balanced) into fields.
    static func parse(_ line: ArraySlice<UInt8>, delimiter: UInt8, row: Int) throws(PGError) -> [String?] {
        let quote = PGCopyDelimiter.quote
        var fields: [String?] = []
        var value: [UInt8] = []
        var quoted = false  // the field had a quoted part: never NULL
        var inQuotes = false
        var index = line.startIndex
        let end = line.endIndex

        func finishField() {
            fields.append(value.isEmpty && !quoted ? nil : String(decoding: value, as: UTF8.self))
            value.removeAll(keepingCapacity: true)
            quoted = false
        }

        while index < end {
            let byte = line[index]
            index += 1
            if inQuotes {
                if byte != quote {
                    value.append(byte)
                } else if index < end && line[index] == quote {
                    value.append(quote)
                    index += 1
                } else {
                    inQuotes = false
                }
            } else if byte == delimiter {
                finishField()
            } else if byte == quote {
                inQuotes = true
                quoted = true
            } else if byte == 0x0D {
                // Only a CRLF line end may hold an unquoted carriage return.
                guard index == end else { throw violation("row \(row) holds an unquoted carriage return") }
            } else {
                value.append(byte)
            }
        }
        if inQuotes { throw violation("row \(row) ends inside a quoted field") }
        finishField()
        return fields
    }

    static func violation(_ detail: String) -> PGError {
        PGError(.protocolViolation, "CSV COPY data: \(detail)")
    }
}
