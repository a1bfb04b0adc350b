import Testing

@testable import PGWire

/// Decodes text-format COPY data fed in chunks of `chunkSize` bytes, then calls `finish()`.
private func decodeText(_ text: String, chunkSize: Int = .max, delimiter: Character? = nil) throws -> [[String?]] {
    try decodeTextBytes(Array(text.utf8), chunkSize: chunkSize, delimiter: delimiter)
}

private func decodeTextBytes(_ bytes: [UInt8], chunkSize: Int = .max, delimiter: Character? = nil) throws -> [[String?]] {
    var decoder = try delimiter.map { try PGCopyTextDecoder(delimiter: $0) } ?? PGCopyTextDecoder()
    var rows: [[String?]] = []
    var start = 0
    while start < bytes.count {
        let end = chunkSize >= bytes.count - start ? bytes.count : start + chunkSize
        decoder.append(bytes[start..<end])
        while let row = try decoder.nextRow() { rows.append(row) }
        start = end
    }
    try decoder.finish()
    return rows
}

private func textError(_ text: String, chunkSize: Int = .max) -> PGError? {
    pgError { _ = try decodeText(text, chunkSize: chunkSize) }
}

private func encodeText(_ rows: [[String?]], delimiter: Character? = nil) throws -> String {
    var encoder = try delimiter.map { try PGCopyTextEncoder(delimiter: $0) } ?? PGCopyTextEncoder()
    for row in rows { try encoder.writeRow(row) }
    #expect(encoder.rowCount == rows.count)
    return String(decoding: encoder.buffer, as: UTF8.self)
}

/// Fields that need every kind of escaping.
let awkwardFields: [String?] = [
    "plain", nil, "", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", #"\N"#, "\\.",
    "\u{8}\u{C}\u{B}", "comma, \"quote\"", "é ✓ 🐘", " ", "\r\n",
]

/// PGCopyTextEncoder and PGCopyTextDecoder.
@Suite("COPY text format")
struct CopyTextTests {
    @Test func theEncoderEscapesAsCopyToDoes() throws {
        let text = try encodeText([["a\tb", nil, "", "back\\slash", "line\nbreak\r"], ["\u{8}\u{C}\u{B}", #"\N"#, "x", "y", "z"]])
        #expect(text == #"a\tb"# + "\t" + #"\N"# + "\t\t" + #"back\\slash"# + "\t" + #"line\nbreak\r"# + "\n"
            + #"\b\f\v"# + "\t" + #"\\N"# + "\tx\ty\tz\n")
    }

    @Test func aCustomDelimiterIsEscapedInData() throws {
        let text = try encodeText([["a|b", "c"]], delimiter: "|")
        #expect(text == #"a\|b|c"# + "\n")
        #expect(try decodeText(text, delimiter: "|") == [["a|b", "c"]])
        // A tab is then ordinary data, escaped anyway as COPY TO does.
        #expect(try encodeText([["\t"]], delimiter: "|") == #"\t"# + "\n")
    }

    @Test func delimitersPostgreSQLRejectsAreRejected() throws {
        for delimiter: Character in ["\\", ".", "n", "N", "7", "\n", "\r", "\r\n", "é", "\0"] {
            #expect(throws: PGError.self, "\(delimiter.debugDescription)") { try PGCopyTextEncoder(delimiter: delimiter) }
            #expect(throws: PGError.self, "\(delimiter.debugDescription)") { try PGCopyTextDecoder(delimiter: delimiter) }
        }
        _ = try PGCopyTextEncoder(delimiter: ",")
        _ = try PGCopyTextEncoder(delimiter: "A")
    }

    @Test func aNulCharacterIsRejectedAndTheRowRolledBack() throws {
        var encoder = PGCopyTextEncoder()
        try encoder.writeRow(["ok"])
        let error = #expect(throws: PGError.self) { try encoder.writeRow(["fine", "bad\u{0}"]) }
        #expect(error?.code == .invalidArgument)
        #expect(encoder.buffer == Array("ok\n".utf8))
        #expect(encoder.rowCount == 1)
        encoder.removeAllBytes()
        #expect(encoder.byteCount == 0)
        #expect(encoder.rowCount == 1)
    }

    @Test func serverOutputDecodes() throws {
        // COPY (SELECT 1, NULL, E'a\tb', '', E'\\N', E'x\ny') TO STDOUT
        let output = "1\t\\N\ta\\tb\t\t\\\\N\tx\\ny\n2\t3\t\\b\\f\\v\\r\t\\\\\t.\t\\.\n"
        #expect(try decodeText(output) == [
            ["1", nil, "a\tb", "", #"\N"#, "x\ny"],
            ["2", "3", "\u{8}\u{C}\u{B}\r", "\\", ".", "."],
        ])
    }

    @Test func octalHexAndOtherInputEscapesDecode() throws {
        let rows = try decodeText(#"\101\1011\7\x41\x4\x4g\xg\q\303\251\777"# + "\n")
        #expect(rows == [["AA1\u{7}A\u{4}\u{4}gxgqé\u{FFFD}"]])
        // A backslash before a raw newline or carriage return is that character as data.
        #expect(try decodeText("a\\\nb\tc\\\rd\n") == [["a\nb", "c\rd"]])
        // \N inside a longer field is the letter N.
        #expect(try decodeText("a\\Nb\t\\N\n") == [["aNb", nil]])
    }

    @Test func crlfLineEndsAreAcceptedAndStrayCarriageReturnsRejected() throws {
        #expect(try decodeText("a\tb\r\nc\t\\N\r\n") == [["a", "b"], ["c", nil]])
        #expect(textError("a\rb\n")?.code == .protocolViolation)
        #expect(textError("a\r\tb\n")?.code == .protocolViolation)
    }

    @Test func theEndOfDataMarkerEndsTheData() throws {
        var decoder = PGCopyTextDecoder()
        decoder.append(Array("a\n\\.\n".utf8))
        #expect(try decoder.nextRow() == ["a"])
        #expect(try decoder.nextRow() == nil)
        #expect(decoder.isFinished)
        try decoder.finish()
        decoder.append(Array("b\n".utf8))
        #expect(throws: PGError.self) { try decoder.nextRow() }
        #expect(textError("a\n\\.\nb\n")?.code == .protocolViolation)
    }

    @Test func aChangingFieldCountIsRejected() throws {
        let error = textError("a\tb\nc\n")
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("1 fields") == true)
    }

    @Test func aRowWithoutItsNewlineIsATruncatedStream() throws {
        #expect(textError("a\tb\nc\td")?.code == .protocolViolation)
        #expect(textError("a\\")?.code == .protocolViolation)
        #expect(try decodeText("") == [])
    }

    @Test func awkwardFieldsRoundTripInAnyChunking() throws {
        let rows = [awkwardFields, awkwardFields.reversed(), awkwardFields.map { $0.map { $0 + "\t" } }]
        let text = try encodeText(rows)
        for chunkSize in [1, 2, 3, 5, 8, 1000] {
            #expect(try decodeText(text, chunkSize: chunkSize) == rows, "chunks of \(chunkSize)")
        }
        // NULL and the empty string stay apart, and so do the text \N and NULL.
        #expect(try decodeText(try encodeText([[nil, "", #"\N"#]])) == [[nil, "", #"\N"#]])
    }

    @Test func customDelimiterRoundTrip() throws {
        let text = try encodeText([awkwardFields], delimiter: ";")
        #expect(try decodeText(text, delimiter: ";") == [awkwardFields])
    }
}
