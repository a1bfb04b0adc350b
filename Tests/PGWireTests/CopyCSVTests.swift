import Testing

@testable import PGWire

private func decodeCSV(_ text: String, chunkSize: Int = .max, delimiter: Character? = nil) throws -> [[String?]] {
    var decoder = try delimiter.map { try PGCopyCSVDecoder(delimiter: $0) } ?? PGCopyCSVDecoder()
    let bytes = Array(text.utf8)
    var rows: [[String?]] = []
    var start = 0
    while start < bytes.count {
        let end = chunkSize >= bytes.count - start ? bytes.count : start + chunkSize
        decoder.append(bytes[start..<end])
        while let row = try decoder.nextRow() { rows.append(row) }
        start = end
    }
    try decoder.finish()
    #expect(decoder.rowCount == rows.count)
    return rows
}

private func csvError(_ text: String) -> PGError? {
    pgError { _ = try decodeCSV(text) }
}

private func encodeCSV(_ rows: [[String?]], delimiter: Character? = nil) throws -> String {
    var encoder = try delimiter.map { try PGCopyCSVEncoder(delimiter: $0) } ?? PGCopyCSVEncoder()
    for row in rows { try encoder.writeRow(row) }
    #expect(encoder.rowCount == rows.count)
    return String(decoding: encoder.buffer, as: UTF8.self)
}

/// PGCopyCSVEncoder and PGCopyCSVDecoder.
@Suite("COPY CSV format")
struct CopyCSVTests {
    @Test func theEncoderQuotesOnlyWhatNeedsIt() throws {
        let text = try encodeCSV([[nil, "", "plain", "a,b", "say \"hi\"", "line\nbreak", "cr\r", "\\.", "tab\t", " sp "]])
        #expect(text == #","",plain,"a,b","say ""hi""","line"# + "\n" + #"break","cr"# + "\r" + #"","\.",tab"# + "\t, sp \n")
    }

    @Test func aCustomDelimiterChangesWhatIsQuoted() throws {
        #expect(try encodeCSV([["a,b", "c;d"]], delimiter: ";") == "a,b;\"c;d\"\n")
        #expect(try decodeCSV("a,b;\"c;d\"\n", delimiter: ";") == [["a,b", "c;d"]])
        #expect(throws: PGError.self) { try PGCopyCSVEncoder(delimiter: "\"") }
        #expect(throws: PGError.self) { try PGCopyCSVDecoder(delimiter: "\n") }
        _ = try PGCopyCSVEncoder(delimiter: "\t")
    }

    @Test func aNulCharacterIsRejectedAndTheRowRolledBack() throws {
        var encoder = PGCopyCSVEncoder()
        try encoder.writeRow(["ok", nil])
        #expect(throws: PGError.self) { try encoder.writeRow(["fine", "bad\u{0}"]) }
        #expect(encoder.buffer == Array("ok,\n".utf8))
        #expect(encoder.rowCount == 1)
    }

    @Test func nullIsAnEmptyUnquotedFieldAndQuotesMayOpenAnywhere() throws {
        #expect(try decodeCSV(",\"\",a\n") == [[nil, "", "a"]])
        #expect(try decodeCSV("\"ab\"cd,x\"y,z\"\n") == [["abcd", "xy,z"]])
        #expect(try decodeCSV("\"say \"\"hi\"\"\"\n") == [["say \"hi\""]])
        #expect(try decodeCSV("\n") == [[nil]])
    }

    @Test func newlinesInsideQuotesAreDataInAnyChunking() throws {
        let text = "1,\"two\nlines\",\"cr\r\"\n2,\"a\"\"\n\"\"b\",\r\n"
        for chunkSize in [1, 2, 3, 7, 100] {
            #expect(try decodeCSV(text, chunkSize: chunkSize) == [["1", "two\nlines", "cr\r"], ["2", "a\"\n\"b", nil]])
        }
    }

    @Test func malformedDataIsRejected() throws {
        #expect(csvError("a,\"open\n")?.code == .protocolViolation)
        #expect(csvError("a\rb\n")?.code == .protocolViolation)
        #expect(csvError("a,b\nc\n")?.code == .protocolViolation)
        #expect(csvError("a,b")?.code == .protocolViolation)
        // The error sticks.
        var decoder = PGCopyCSVDecoder()
        decoder.append(Array("a,b\nc\n".utf8))
        _ = try decoder.nextRow()
        #expect(throws: PGError.self) { try decoder.nextRow() }
        #expect(throws: PGError.self) { try decoder.nextRow() }
        #expect(throws: PGError.self) { try decoder.finish() }
    }

    @Test func awkwardFieldsRoundTrip() throws {
        let rows = [awkwardFields, awkwardFields.reversed()]
        let text = try encodeCSV(rows)
        for chunkSize in [1, 3, 1000] {
            #expect(try decodeCSV(text, chunkSize: chunkSize) == rows, "chunks of \(chunkSize)")
        }
        let semicolons = try encodeCSV(rows, delimiter: ";")
        #expect(try decodeCSV(semicolons, delimiter: ";") == rows)
    }
}
