// COPY's text format (PostgreSQL docs, COPY, "Text Format"): one row per line ending in a
// newline, fields separated by the delimiter (a tab by default), NULL written `\N`, and a
// backslash escaping backslash, newline, carriage return, the delimiter and other control
// characters.

/// Builds text-format COPY data (`COPY ... FROM STDIN`, the default format) in one buffer.
public struct PGCopyTextEncoder: Sendable {
    private var storage: [UInt8] = []
    private var rows = 0
    private let delimiter: UInt8

    /// An encoder for tab-delimited data.
    public init() {
        delimiter = PGCopyDelimiter.tab
    }

    /// An encoder for data with another delimiter (the statement's `DELIMITER` option).
    /// - Throws: ``PGError/Code/invalidArgument`` for a delimiter PostgreSQL rejects in text format.
    public init(delimiter: Character) throws {
        self.delimiter = try PGCopyDelimiter.byte(delimiter, csv: false)
    }

    /// The COPY data written since the last ``removeAllBytes()``.
    public var buffer: [UInt8] { storage }

    /// The number of bytes in ``buffer``.
    public var byteCount: Int { storage.count }

    /// The number of rows written since the encoder was created.
    public var rowCount: Int { rows }

    /// Appends one row: the fields escaped and separated by the delimiter, `\N` for `nil`, and
    /// a newline.
    ///
    /// The control characters COPY TO escapes are written the same way (`\b`, `\f`, `\n`, `\r`,
    /// `\t`, `\v`), as are a backslash (`\\`) and the delimiter.
    /// - Throws: ``PGError/Code/invalidArgument`` for a field holding a NUL character; the
    ///   buffer is then left as it was before the row.
    public mutating func writeRow(_ fields: [String?]) throws {
        let start = storage.count
        for (index, field) in fields.enumerated() {
            if index > 0 { storage.append(delimiter) }
            guard let field else {
                storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            for byte in field.utf8 {
                if let escape = Self.escape(byte) {
                    storage.append(UInt8(ascii: "\\"))
                    storage.append(escape)
                } else if byte == delimiter {
                    storage.append(UInt8(ascii: "\\"))
                    storage.append(byte)
                } else if byte == 0 {
                    storage.removeSubrange(start...)
                    throw PGError(.invalidArgument, "a string containing a NUL character cannot be sent as text")
                } else {
                    storage.append(byte)
                }
            }
        }
        storage.append(UInt8(ascii: "\n"))
        rows += 1
    }

    /// Empties the buffer and keeps its capacity, after the caller has sent the bytes.
    public mutating func removeAllBytes() {
        storage.removeAll(keepingCapacity: true)
    }

    /// The letter after the backslash for a byte that is always escaped.
    private static func escape(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case 0x08: UInt8(ascii: "b")
        case 0x09: UInt8(ascii: "t")
        case 0x0A: UInt8(ascii: "n")
        case 0x0B: UInt8(ascii: "v")
        case 0x0C: UInt8(ascii: "f")
        case 0x0D: UInt8(ascii: "r")
        default: nil
        }
    }
}

/// Reads text-format COPY data (`COPY ... TO STDOUT`, the default format) as it arrives, in
/// chunks of any size, as rows of fields (`nil` for NULL).
///
/// ```swift
/// var decoder = PGCopyTextDecoder()
/// decoder.append(payload)                          // for each CopyData payload
/// while let fields = try decoder.nextRow() { ... }
/// try decoder.finish()                             // at CopyDone
/// ```
///
/// Besides the escapes COPY TO writes (`\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\v`, an escaped
/// delimiter), the input forms COPY FROM accepts are read too: octal `\123`, hex `\x1F`, any
/// other escaped character standing for itself, a backslash before a raw newline or carriage
/// return, CRLF line ends, and the end-of-data line `\.`. A field `\N` is NULL; `\\N` is the
/// text `\N`. Every row must have as many fields as the first; a stray carriage return, a
/// field count that changes or data after `\.` throws ``PGError/Code/protocolViolation``, and
/// the decoder keeps throwing it. Bytes that are not UTF-8 are repaired (each bad sequence
/// becomes U+FFFD).
public struct PGCopyTextDecoder: Sendable {
    private var lines = PGCopyLineBuffer(syntax: .backslash)
    private let delimiter: UInt8
    private var fieldCount: Int?
    private var rows = 0
    private var ended = false
    private var failure: PGError?

    /// A decoder for tab-delimited data.
    public init() {
        delimiter = PGCopyDelimiter.tab
    }

    /// A decoder for data with another delimiter.
    /// - Throws: ``PGError/Code/invalidArgument`` for a delimiter PostgreSQL rejects in text format.
    public init(delimiter: Character) throws {
        self.delimiter = try PGCopyDelimiter.byte(delimiter, csv: false)
    }

    /// True once the end-of-data line `\.` has been read.
    public var isFinished: Bool { ended }

    /// The number of rows returned so far.
    public var rowCount: Int { rows }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        lines.append(bytes)
    }

    /// Returns the next row, or `nil` when more bytes are needed (or `\.` was read).
    public mutating func nextRow() throws -> [String?]? {
        if let failure { throw failure }
        do throws(PGError) {
            return try decodeNext()
        } catch {
            failure = error
            throw error
        }
    }

    /// Checks that the data ended at the end of a row; call when the stream ends (CopyDone),
    /// after ``nextRow()`` has returned `nil`. COPY TO ends every row with a newline, so bytes
    /// left over are a truncated row: ``PGError/Code/protocolViolation``.
    public mutating func finish() throws {
        if let failure { throw failure }
        let left = lines.pendingByteCount
        if left == 0 { return }
        let error = Self.violation(
            ended ? "\(left) bytes after the end-of-data marker" : "the data ended inside a row (\(left) bytes left)")
        failure = error
        throw error
    }

    private mutating func decodeNext() throws(PGError) -> [String?]? {
        if ended {
            if lines.pendingByteCount > 0 {
                throw Self.violation("\(lines.pendingByteCount) bytes after the end-of-data marker")
            }
            return nil
        }
        guard let range = lines.nextLine() else { return nil }
        let fields = try decodeLine(lines.storage[range])
        lines.compactIfEmpty()
        return fields
    }

    private mutating func decodeLine(_ line: ArraySlice<UInt8>) throws(PGError) -> [String?]? {
        if Self.isEndOfData(line) {
            ended = true
            if lines.pendingByteCount > 0 {
                throw Self.violation("\(lines.pendingByteCount) bytes after the end-of-data marker")
            }
            return nil
        }
        let fields = try Self.parse(line, delimiter: delimiter, row: rows + 1)
        if let fieldCount, fields.count != fieldCount {
            throw Self.violation("row \(rows + 1) has \(fields.count) fields, the first row has \(fieldCount)")
        }
        fieldCount = fields.count
        rows += 1
        return fields
    }

    /// `\.`, optionally followed by a carriage return.
    private static func isEndOfData(_ line: ArraySlice<UInt8>) -> Bool {
        let marker: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: ".")]
        return line.elementsEqual(marker) || line.elementsEqual(marker + [0x0D])
    }

    /// Splits one line (without its newline) into fields and unescapes them.
    static func parse(_ line: ArraySlice<UInt8>, delimiter: UInt8, row: Int) throws(PGError) -> [String?] {
        let backslash = UInt8(ascii: "\\")
        var fields: [String?] = []
        var value: [UInt8] = []
        var fieldStart = line.startIndex
        var index = line.startIndex
        var end = line.endIndex

        func finishField(rawEnd: Int) {
            if rawEnd - fieldStart == 2 && line[fieldStart] == backslash && line[fieldStart + 1] == UInt8(ascii: "N") {
                fields.append(nil)
            } else {
                fields.append(String(decoding: value, as: UTF8.self))
            }
            value.removeAll(keepingCapacity: true)
        }

        while index < end {
            let byte = line[index]
            index += 1
            if byte == backslash {
                guard index < end else { throw violation("row \(row) ends with a lone backslash") }
                value.append(unescape(line, at: &index))
            } else if byte == delimiter {
                finishField(rawEnd: index - 1)
                fieldStart = index
            } else if byte == 0x0D {
                // Only a CRLF line end may hold a raw carriage return; data ones are escaped.
                guard index == end else { throw violation("row \(row) holds an unescaped carriage return") }
                end -= 1
            } else {
                value.append(byte)
            }
        }
        finishField(rawEnd: end)
        return fields
    }

    /// The byte stood for by the escape whose letter is at `index` (just after the backslash),
    /// advancing `index` past the escape. `index` must be in range.
    private static func unescape(_ line: ArraySlice<UInt8>, at index: inout Int) -> UInt8 {
        let letter = line[index]
        index += 1
        switch letter {
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "v"): return 0x0B
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            // One to three octal digits; like COPY FROM, keep the low 8 bits of `\777`.
            var value = Int(letter - UInt8(ascii: "0"))
            var digits = 1
            while digits < 3, index < line.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(line[index]) {
                value = value * 8 + Int(line[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            return UInt8(truncatingIfNeeded: value)
        case UInt8(ascii: "x"):
            // One or two hex digits; without any, `\x` is the letter x.
            guard index < line.endIndex, let high = line[index].hexDigitValue else { return letter }
            index += 1
            guard index < line.endIndex, let low = line[index].hexDigitValue else { return high }
            index += 1
            return high << 4 | low
        default:
            return letter  // `\\`, an escaped delimiter, newline or carriage return, anything else
        }
    }


    static func violation(_ detail: String) -> PGError {
        PGError(.protocolViolation, "text COPY data: \(detail)")
    }
}
