/// Builders for PostgreSQL backend messages as raw bytes, for ``ScriptedServer`` scripts.
///
/// Written here rather than shared with PGWireTests' `WireBytes` or the fuzzer's encoder because
/// a test target cannot import another test target, and these builders must also produce
/// *malformed* frames (``raw(_:_:length:)``), which an encoder meant for valid traffic should not.
/// Every builder returns a complete frame: type byte, Int32 length (body + 4), body.
enum BackendBytes {
    // MARK: Primitives

    static func int16(_ value: Int16) -> [UInt8] {
        let bits = UInt16(bitPattern: value)
        return [UInt8(bits >> 8), UInt8(bits & 0xFF)]
    }

    static func int32(_ value: Int32) -> [UInt8] {
        let bits = UInt32(bitPattern: value)
        return [UInt8(bits >> 24), UInt8((bits >> 16) & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8(bits & 0xFF)]
    }

    /// A NUL-terminated UTF-8 string.
    static func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    /// A frame with any type byte and body. `length` overrides the length field (normally
    /// `body.count + 4`), to build frames that lie about their size.
    static func raw(_ type: Character, _ body: [UInt8] = [], length: Int32? = nil) -> [UInt8] {
        [type.asciiValue!] + int32(length ?? Int32(body.count + 4)) + body
    }

    // MARK: Authentication ('R')

    static var authenticationOk: [UInt8] { raw("R", int32(0)) }
    static var cleartextPassword: [UInt8] { raw("R", int32(3)) }
    static func md5Password(salt: [UInt8] = [1, 2, 3, 4]) -> [UInt8] { raw("R", int32(5) + salt) }
    static func sasl(_ mechanisms: [String] = ["SCRAM-SHA-256"]) -> [UInt8] {
        raw("R", int32(10) + mechanisms.flatMap(cString) + [0])
    }
    static func saslContinue(_ data: [UInt8]) -> [UInt8] { raw("R", int32(11) + data) }
    static func saslFinal(_ data: [UInt8]) -> [UInt8] { raw("R", int32(12) + data) }

    // MARK: Session

    static func parameterStatus(_ name: String, _ value: String) -> [UInt8] {
        raw("S", cString(name) + cString(value))
    }

    static func backendKeyData(pid: Int32, key: Int32) -> [UInt8] { raw("K", int32(pid) + int32(key)) }

    /// ReadyForQuery with status `I` (idle), `T` (in a transaction) or `E` (failed transaction).
    static func readyForQuery(_ status: Character = "I") -> [UInt8] { raw("Z", [status.asciiValue!]) }

    /// The pid and key ``trustHandshake`` announces.
    static let handshakePID: Int32 = 4242
    static let handshakeKey: Int32 = 0x1234_5678

    /// The parameters a PostgreSQL 15 server reports at startup, enough for PGWire's text and
    /// binary codecs.
    static var handshakeParameters: [UInt8] {
        [
            ("server_version", "15.0"), ("client_encoding", "UTF8"), ("integer_datetimes", "on"),
            ("standard_conforming_strings", "on"), ("DateStyle", "ISO"), ("TimeZone", "UTC"),
        ].flatMap { parameterStatus($0.0, $0.1) }
    }

    /// What a server answers after a trusted startup: AuthenticationOk, the parameters,
    /// BackendKeyData(``handshakePID``, ``handshakeKey``), ReadyForQuery('I').
    static var trustHandshake: [UInt8] { authenticationOk + afterAuthentication }

    /// ``trustHandshake`` without its AuthenticationOk, for scripts that authenticate first.
    static var afterAuthentication: [UInt8] {
        handshakeParameters + backendKeyData(pid: handshakePID, key: handshakeKey) + readyForQuery("I")
    }

    // MARK: Results

    /// RowDescription; `format` 0 is text, 1 binary. Table OID, attribute number, type size and
    /// modifier are filled as for a computed column.
    static func rowDescription(_ columns: [(name: String, typeOID: Int32, format: Int16)]) -> [UInt8] {
        var body = int16(Int16(columns.count))
        for column in columns {
            body += cString(column.name) + int32(0) + int16(0) + int32(column.typeOID) + int16(-1) + int32(-1)
                + int16(column.format)
        }
        return raw("T", body)
    }

    /// DataRow; nil is SQL NULL.
    static func dataRow(_ values: [[UInt8]?]) -> [UInt8] {
        var body = int16(Int16(values.count))
        for value in values {
            if let value { body += int32(Int32(value.count)) + value } else { body += int32(-1) }
        }
        return raw("D", body)
    }

    static func commandComplete(_ tag: String) -> [UInt8] { raw("C", cString(tag)) }
    static var emptyQueryResponse: [UInt8] { raw("I") }
    static var parseComplete: [UInt8] { raw("1") }
    static var bindComplete: [UInt8] { raw("2") }
    static var closeComplete: [UInt8] { raw("3") }
    static var noData: [UInt8] { raw("n") }
    static func parameterDescription(_ typeOIDs: [Int32]) -> [UInt8] {
        raw("t", int16(Int16(typeOIDs.count)) + typeOIDs.flatMap(int32))
    }

    // MARK: Errors, notices, notifications

    private static func fields(severity: String, code: String, message: String) -> [UInt8] {
        [UInt8(ascii: "S")] + cString(severity) + [UInt8(ascii: "V")] + cString(severity)
            + [UInt8(ascii: "C")] + cString(code) + [UInt8(ascii: "M")] + cString(message) + [0]
    }

    static func errorResponse(severity: String = "ERROR", code: String, message: String) -> [UInt8] {
        raw("E", fields(severity: severity, code: code, message: message))
    }

    static func noticeResponse(severity: String = "NOTICE", code: String = "00000", message: String) -> [UInt8] {
        raw("N", fields(severity: severity, code: code, message: message))
    }

    static func notification(pid: Int32, channel: String, payload: String) -> [UInt8] {
        raw("A", int32(pid) + cString(channel) + cString(payload))
    }

    // MARK: COPY

    /// CopyInResponse ('G'); `binary` sets the overall and every column's format.
    static func copyInResponse(binary: Bool, columnCount: Int) -> [UInt8] {
        raw("G", copyFormats(binary: binary, columnCount: columnCount))
    }

    static func copyOutResponse(binary: Bool, columnCount: Int) -> [UInt8] {
        raw("H", copyFormats(binary: binary, columnCount: columnCount))
    }

    private static func copyFormats(binary: Bool, columnCount: Int) -> [UInt8] {
        let format: Int16 = binary ? 1 : 0
        return [UInt8(format)] + int16(Int16(columnCount)) + Array(repeating: int16(format), count: columnCount).flatMap { $0 }
    }

    static func copyData(_ bytes: [UInt8]) -> [UInt8] { raw("d", bytes) }
    static func copyData(_ text: String) -> [UInt8] { raw("d", Array(text.utf8)) }
    static var copyDone: [UInt8] { raw("c") }

    // MARK: Canned answers

    /// A one-column text result for a simple Query: RowDescription, one DataRow per value,
    /// CommandComplete `SELECT n`, ReadyForQuery('I').
    static func simpleResult(column: String = "v", values: [String]) -> [UInt8] {
        rowDescription([(column, 25, 0)]) + values.flatMap { dataRow([Array($0.utf8)]) }
            + commandComplete("SELECT \(values.count)") + readyForQuery("I")
    }
}
