/// Text or CSV COPY data received so far, split into lines as they become complete.
///
/// A line ends at a newline that is not data: in text format one not escaped by a backslash
/// (COPY TO writes data newlines as `\n`; a backslash before a raw newline is the old way of
/// sending one), in CSV format one outside a quoted field. Used by ``PGCopyTextDecoder`` and
/// ``PGCopyCSVDecoder``.
struct PGCopyLineBuffer: Sendable {
    enum Syntax: Sendable {
        /// Text format: a backslash escapes the next byte.
        case backslash
        /// CSV format: newlines between quotes are data. (A doubled quote inside quotes toggles
        /// twice, so it needs no special case here.)
        case csv(quote: UInt8)
    }

    let syntax: Syntax
    /// Received bytes are `storage[readIndex...]`; bytes before `scanIndex` hold no line end.
    private(set) var storage: [UInt8] = []
    private var readIndex = 0
    private var scanIndex = 0
    /// Text: the byte at `scanIndex` is escaped. CSV: `scanIndex` is inside quotes.
    private(set) var inEscape = false

    init(syntax: Syntax) {
        self.syntax = syntax
    }

    /// Bytes received and not yet returned in a line.
    var pendingByteCount: Int { storage.count - readIndex }

    mutating func append(_ bytes: some Collection<UInt8>) {
        if bytes.isEmpty { return }
        if readIndex > 0 && readIndex >= storage.count - readIndex {
            storage.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        storage.append(contentsOf: bytes)
    }

    /// The range in ``storage`` of the next complete line, without its newline; the line is
    /// consumed. Read the line before the next ``append(_:)``.
    mutating func nextLine() -> Range<Int>? {
        let lineFeed = UInt8(ascii: "\n")
        var index = scanIndex
        let end = storage.count
        var state = inEscape
        defer {
            scanIndex = index
            inEscape = state
        }
        switch syntax {
        case .backslash:
            let backslash = UInt8(ascii: "\\")
            while index < end {
                let byte = storage[index]
                index += 1
                if state {
                    state = false
                } else if byte == backslash {
                    state = true
                } else if byte == lineFeed {
                    return takeLine(endingAt: index - 1)
                }
            }
        case .csv(let quote):
            while index < end {
                let byte = storage[index]
                index += 1
                if byte == quote {
                    state.toggle()
                } else if byte == lineFeed && !state {
                    return takeLine(endingAt: index - 1)
                }
            }
        }
        return nil
    }

    private mutating func takeLine(endingAt lineFeed: Int) -> Range<Int> {
        let line = readIndex..<lineFeed
        readIndex = lineFeed + 1
        return line
    }

    /// Drops consumed bytes once every received byte has been consumed.
    mutating func compactIfEmpty() {
        if readIndex == storage.count && readIndex > 0 {
            storage.removeAll(keepingCapacity: storage.capacity <= 1 << 20)
            readIndex = 0
            scanIndex = 0
        }
    }
}

/// The checks PostgreSQL applies to a COPY `DELIMITER` option.
enum PGCopyDelimiter {
    static let tab = UInt8(ascii: "\t")
    static let comma = UInt8(ascii: ",")
    static let quote = UInt8(ascii: "\"")

    /// The delimiter's byte. It must be one ASCII character other than a newline or carriage
    /// return; in text format also not a backslash, a period, a lowercase letter, a digit (those
    /// start escapes or the end-of-data marker) or `N` (part of the NULL marker `\N`); in CSV
    /// format not the quote.
    static func byte(_ delimiter: Character, csv: Bool) throws(PGError) -> UInt8 {
        guard let byte = delimiter.asciiValue, delimiter.unicodeScalars.count == 1 else {
            throw PGError(.invalidArgument, "the COPY delimiter must be one ASCII character")
        }
        let forbidden: String = csv ? "\n\r\"\0" : "\n\r\0\\.Nabcdefghijklmnopqrstuvwxyz0123456789"
        if forbidden.utf8.contains(byte) {
            throw PGError(.invalidArgument, "\(delimiter.debugDescription) cannot be a COPY delimiter")
        }
        return byte
    }
}
