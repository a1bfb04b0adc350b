import Testing

@_spi(Fuzzing) @testable import PGWire

private typealias W = WireBytes

/// One test per backend message type, with byte vectors written from the protocol's
/// "Message Formats" page, plus the malformed variants each must reject.
@Suite("Backend message bodies")
struct BackendMessageDecoderTests {
    // MARK: Authentication 'R'

    @Test func authenticationOk() throws {
        let bytes: [UInt8] = [0x52, 0, 0, 0, 8, 0, 0, 0, 0]
        #expect(try W.decodeOne(bytes) == .authentication(.ok))
    }

    @Test(arguments: [
        (Int32(2), AuthenticationRequest.kerberosV5), (3, .cleartextPassword), (7, .gss), (9, .sspi),
    ])
    func authenticationWithoutData(code: Int32, expected: AuthenticationRequest) throws {
        #expect(try W.decodeOne([0x52, 0, 0, 0, 8] + W.int32(code)) == .authentication(expected))
        // The same request with one byte too many must not be accepted.
        let error = W.decodeError([0x52, 0, 0, 0, 9] + W.int32(code) + [0])
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("trailing") == true)
    }

    @Test func authenticationMD5Password() throws {
        let bytes: [UInt8] = [0x52, 0, 0, 0, 12, 0, 0, 0, 5, 0x01, 0xA2, 0x03, 0xF4]
        guard case .authentication(.md5Password(let salt))? = try W.decodeOne(bytes) else {
            Issue.record("not an MD5 request")
            return
        }
        #expect(salt.0 == 0x01 && salt.1 == 0xA2 && salt.2 == 0x03 && salt.3 == 0xF4)
    }

    @Test func authenticationMD5WithShortOrLongSaltIsRejected() {
        #expect(W.decodeError([0x52, 0, 0, 0, 11, 0, 0, 0, 5, 1, 2, 3])?.code == .protocolViolation)
        #expect(W.decodeError([0x52, 0, 0, 0, 13, 0, 0, 0, 5, 1, 2, 3, 4, 5])?.code == .protocolViolation)
    }

    @Test func authenticationSASLMechanisms() throws {
        // 4 (code) + 14 + 19 + 1 (empty string ending the list) = 38 bytes of body, length 42.
        let bytes: [UInt8] =
            [0x52, 0, 0, 0, 42, 0, 0, 0, 10] + W.ascii("SCRAM-SHA-256") + [0]
            + W.ascii("SCRAM-SHA-256-PLUS") + [0] + [0]
        #expect(try W.decodeOne(bytes) == .authentication(.sasl(mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"])))
    }

    @Test func authenticationSASLWithoutListTerminatorIsRejected() {
        let missingEnd = W.message("R", W.int32(10) + W.cString("SCRAM-SHA-256"))
        #expect(W.decodeError(missingEnd)?.code == .protocolViolation)
        let trailing = W.message("R", W.int32(10) + W.cString("SCRAM-SHA-256") + [0, 0x41])
        #expect(W.decodeError(trailing)?.code == .protocolViolation)
    }

    @Test func authenticationContinuationData() throws {
        #expect(try W.decodeOne([0x52, 0, 0, 0, 11, 0, 0, 0, 8, 9, 8, 7]) == .authentication(.gssContinue([9, 8, 7])))
        let first = W.ascii("r=abc,s=c2FsdA==,i=4096")
        #expect(try W.decodeOne(W.message("R", W.int32(11) + first)) == .authentication(.saslContinue(first)))
        let final = W.ascii("v=c2lnbmF0dXJl")
        #expect(try W.decodeOne(W.message("R", W.int32(12) + final)) == .authentication(.saslFinal(final)))
        #expect(try W.decodeOne([0x52, 0, 0, 0, 8, 0, 0, 0, 12]) == .authentication(.saslFinal([])))
    }

    @Test func authenticationUnknownOrSCMCodeIsRejectedNamingTheCode() {
        let scm = W.decodeError([0x52, 0, 0, 0, 8, 0, 0, 0, 6])
        #expect(scm?.code == .protocolViolation)
        #expect(scm?.message.contains("6") == true)
        let unknown = W.decodeError([0x52, 0, 0, 0, 8, 0, 0, 0, 99])
        #expect(unknown?.code == .protocolViolation)
        #expect(unknown?.message.contains("99") == true)
    }

    @Test func authenticationWithoutCodeIsRejected() {
        #expect(W.decodeError([0x52, 0, 0, 0, 6, 0, 0])?.code == .protocolViolation)
    }

    // MARK: BackendKeyData 'K'

    @Test func backendKeyData() throws {
        let bytes: [UInt8] = [0x4B, 0, 0, 0, 12, 0, 0, 0x30, 0x39, 0xDE, 0xAD, 0xBE, 0xEF]
        #expect(try W.decodeOne(bytes) == .backendKeyData(PGBackendKeyData(processID: 12345, secretKey: [0xDE, 0xAD, 0xBE, 0xEF])))
    }

    @Test func backendKeyDataLongKeyOfProtocol32() throws {
        let key = (0..<32).map { UInt8($0) }
        #expect(try W.decodeOne(W.message("K", W.int32(7) + key)) == .backendKeyData(PGBackendKeyData(processID: 7, secretKey: key)))
        let longest = [UInt8](repeating: 0xAB, count: 256)
        #expect(try W.decodeOne(W.message("K", W.int32(7) + longest)) == .backendKeyData(PGBackendKeyData(processID: 7, secretKey: longest)))
    }

    @Test(arguments: [0, 3, 257])
    func backendKeyDataKeyLengthOutOfRangeIsRejected(keyLength: Int) {
        let bytes = W.message("K", W.int32(7) + [UInt8](repeating: 1, count: keyLength))
        #expect(W.decodeError(bytes)?.code == .protocolViolation)
    }

    // MARK: Messages without a body

    @Test(arguments: [
        (Character("2"), BackendMessage.bindComplete), ("3", .closeComplete), ("c", .copyDone),
        ("I", .emptyQueryResponse), ("n", .noData), ("1", .parseComplete), ("s", .portalSuspended),
    ])
    func emptyMessages(type: Character, expected: BackendMessage) throws {
        let byte = type.asciiValue!
        #expect(try W.decodeOne([byte, 0, 0, 0, 4]) == expected)
        let error = W.decodeError([byte, 0, 0, 0, 5, 0])
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("trailing") == true)
    }

    // MARK: CommandComplete 'C'

    @Test func commandComplete() throws {
        let bytes: [UInt8] = [0x43, 0, 0, 0, 13] + W.ascii("SELECT 1") + [0]
        #expect(try W.decodeOne(bytes) == .commandComplete("SELECT 1"))
    }

    @Test func commandCompleteWithoutTerminatorOrWithTrailingBytesIsRejected() {
        #expect(W.decodeError([0x43, 0, 0, 0, 12] + W.ascii("SELECT 1"))?.code == .protocolViolation)
        #expect(W.decodeError([0x43, 0, 0, 0, 14] + W.ascii("SELECT 1") + [0, 0])?.code == .protocolViolation)
    }

    @Test func invalidUTF8IsRepairedNotRejected() throws {
        let bytes: [UInt8] = [0x43, 0, 0, 0, 8, 0x41, 0xFF, 0x42, 0]
        #expect(try W.decodeOne(bytes) == .commandComplete("A\u{FFFD}B"))
    }

    // MARK: CopyData 'd' and the copy responses 'G' 'H' 'W'

    @Test func copyData() throws {
        #expect(try W.decodeOne([0x64, 0, 0, 0, 7, 1, 2, 3]) == .copyData([1, 2, 3]))
        #expect(try W.decodeOne([0x64, 0, 0, 0, 4]) == .copyData([]))
    }

    @Test func copyResponses() throws {
        let textIn: [UInt8] = [0x47, 0, 0, 0, 11, 0, 0, 2, 0, 0, 0, 0]
        #expect(try W.decodeOne(textIn) == .copyInResponse(CopyResponse(format: .text, columnFormats: [.text, .text])))
        let binaryOut: [UInt8] = [0x48, 0, 0, 0, 9, 1, 0, 1, 0, 1]
        #expect(try W.decodeOne(binaryOut) == .copyOutResponse(CopyResponse(format: .binary, columnFormats: [.binary])))
        let both: [UInt8] = [0x57, 0, 0, 0, 7, 0, 0, 0]
        #expect(try W.decodeOne(both) == .copyBothResponse(CopyResponse(format: .text, columnFormats: [])))
    }

    @Test func copyResponseMalformedIsRejected() {
        // Count 3, two formats.
        #expect(W.decodeError([0x47, 0, 0, 0, 11, 0, 0, 3, 0, 0, 0, 0])?.code == .protocolViolation)
        // Count 1, two formats.
        #expect(W.decodeError([0x47, 0, 0, 0, 11, 0, 0, 1, 0, 0, 0, 0])?.code == .protocolViolation)
        // Overall format 2.
        #expect(W.decodeError([0x47, 0, 0, 0, 9, 2, 0, 1, 0, 0])?.code == .protocolViolation)
        // Column format 5.
        #expect(W.decodeError([0x48, 0, 0, 0, 9, 1, 0, 1, 0, 5])?.code == .protocolViolation)
        // Negative count.
        #expect(W.decodeError([0x48, 0, 0, 0, 7, 0, 0xFF, 0xFF])?.code == .protocolViolation)
        // No count at all.
        #expect(W.decodeError([0x48, 0, 0, 0, 5, 0])?.code == .protocolViolation)
    }

    // MARK: DataRow 'D'

    @Test func dataRowWithValueNullAndEmpty() throws {
        // 3 columns: "a", NULL, "" -> body 2 + (4+1) + 4 + 4 = 15, length 19.
        let bytes: [UInt8] = [0x44, 0, 0, 0, 19, 0, 3, 0, 0, 0, 1, 0x61, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        guard case .dataRow(let row)? = try W.decodeOne(bytes) else {
            Issue.record("not a DataRow")
            return
        }
        #expect(row.count == 3)
        #expect(row[0].map(Array.init) == [0x61])
        #expect(row[1] == nil)
        #expect(row[2].map(Array.init) == [])
        #expect(row.texts == ["a", nil, ""])
        #expect(row == DataRow(columns: [[0x61], nil, []]))
        #expect(row.bytes == Array(bytes[5...]))
    }

    @Test func dataRowWithoutColumns() throws {
        #expect(try W.decodeOne([0x44, 0, 0, 0, 6, 0, 0]) == .dataRow(DataRow(columns: [])))
    }

    @Test func dataRowRoundTripsManyColumns() throws {
        let columns: [[UInt8]?] = (0..<300).map { $0 % 7 == 0 ? nil : [UInt8](repeating: UInt8($0 & 0xFF), count: $0 % 11) }
        let row = DataRow(columns: columns)
        guard case .dataRow(let decoded)? = try W.decodeOne(W.message("D", row.bytes)) else {
            Issue.record("not a DataRow")
            return
        }
        #expect(decoded == row)
        #expect((0..<decoded.count).map { decoded[$0].map(Array.init) } == columns)
    }

    /// Rows up to DataRow.walkLimit columns find values by walking the lengths, wider rows keep
    /// a span table: both sides of the limit must agree with what was sent.
    @Test(arguments: [1, 7, 8, 9, 16])
    func dataRowColumnsAroundTheWalkLimit(count: Int) throws {
        let columns: [[UInt8]?] = (0..<count).map { $0 % 3 == 1 ? nil : [UInt8](repeating: UInt8($0), count: $0 % 4) }
        guard case .dataRow(let decoded)? = try W.decodeOne(W.message("D", DataRow(columns: columns).bytes)) else {
            Issue.record("not a DataRow")
            return
        }
        #expect(decoded.count == count)
        #expect((0..<count).reversed().map { decoded[$0].map(Array.init) } == columns.reversed())
    }

    @Test func dataRowNegativeLengthOtherThanNullIsRejected() {
        let error = W.decodeError([0x44, 0, 0, 0, 10, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE])
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("-2") == true)
    }

    @Test func dataRowColumnCountMismatchIsRejected() {
        // Says 3 columns, carries 2.
        #expect(W.decodeError([0x44, 0, 0, 0, 16, 0, 3, 0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0x62])?.code == .protocolViolation)
        // Says 1 column, carries 2.
        #expect(W.decodeError([0x44, 0, 0, 0, 16, 0, 1, 0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0x62])?.code == .protocolViolation)
    }

    @Test func dataRowValueLongerThanBodyIsRejected() {
        let error = W.decodeError([0x44, 0, 0, 0, 12, 0, 1, 0, 0, 0, 5, 0x61, 0x62])
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("exceeds") == true)
    }

    @Test func dataRowNegativeOrImpossibleCountIsRejectedBeforeAllocating() {
        #expect(W.decodeError([0x44, 0, 0, 0, 6, 0xFF, 0xFF])?.code == .protocolViolation)
        // 32,767 columns announced in a 2-byte body: refused by the size check, not by running
        // out of bytes after reserving room for 32,767 entries.
        let error = W.decodeError([0x44, 0, 0, 0, 6, 0x7F, 0xFF])
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("cannot fit") == true)
        #expect(W.decodeError([0x44, 0, 0, 0, 5, 0])?.code == .protocolViolation)
    }

    // MARK: ErrorResponse 'E' and NoticeResponse 'N'

    private static let errorFieldsBody: [UInt8] =
        [0x53] + W.cString("ERROR") + [0x56] + W.cString("ERROR") + [0x43] + W.cString("42P01")
        + [0x4D] + W.cString("relation \"x\" does not exist") + [0x50] + W.cString("15") + [0]

    @Test func errorResponse() throws {
        let expected: [PGServerField: String] = [
            .localizedSeverity: "ERROR", .severity: "ERROR", .sqlState: "42P01",
            .message: "relation \"x\" does not exist", .position: "15",
        ]
        #expect(try W.decodeOne(W.message("E", Self.errorFieldsBody)) == .errorResponse(expected))
        #expect(try W.decodeOne(W.message("N", Self.errorFieldsBody)) == .noticeResponse(expected))
        #expect(try W.decodeOne([0x45, 0, 0, 0, 5, 0]) == .errorResponse([:]))
    }

    @Test func errorResponseMalformedIsRejected() {
        // No final zero byte.
        #expect(W.decodeError(W.message("E", Array(Self.errorFieldsBody.dropLast())))?.code == .protocolViolation)
        // A field value without its NUL.
        #expect(W.decodeError(W.message("N", [0x4D] + W.ascii("oops")))?.code == .protocolViolation)
        // Bytes after the final zero.
        #expect(W.decodeError(W.message("E", [0, 0x4D]))?.code == .protocolViolation)
        // Empty body.
        #expect(W.decodeError([0x45, 0, 0, 0, 4])?.code == .protocolViolation)
    }

    // MARK: FunctionCallResponse 'V'

    @Test func functionCallResponse() throws {
        #expect(try W.decodeOne([0x56, 0, 0, 0, 11, 0, 0, 0, 3, 1, 2, 3]) == .functionCallResponse([1, 2, 3]))
        #expect(try W.decodeOne([0x56, 0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF]) == .functionCallResponse(nil))
        #expect(try W.decodeOne([0x56, 0, 0, 0, 8, 0, 0, 0, 0]) == .functionCallResponse([]))
    }

    @Test func functionCallResponseMalformedIsRejected() {
        #expect(W.decodeError([0x56, 0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFE])?.code == .protocolViolation)
        #expect(W.decodeError([0x56, 0, 0, 0, 11, 0, 0, 0, 5, 1, 2, 3])?.code == .protocolViolation)
        #expect(W.decodeError([0x56, 0, 0, 0, 12, 0, 0, 0, 3, 1, 2, 3, 4])?.code == .protocolViolation)
    }

    // MARK: NegotiateProtocolVersion 'v'

    @Test func negotiateProtocolVersion() throws {
        // 4 + 4 + 9 = 17 bytes of body, length 21.
        let bytes: [UInt8] = [0x76, 0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0, 1] + W.ascii("_pq_.foo") + [0]
        #expect(
            try W.decodeOne(bytes)
                == .negotiateProtocolVersion(PGProtocolNegotiation(newestMinorVersion: 0, unrecognizedOptions: ["_pq_.foo"])))
        #expect(
            try W.decodeOne(W.message("v", W.int32(2) + W.int32(0)))
                == .negotiateProtocolVersion(PGProtocolNegotiation(newestMinorVersion: 2, unrecognizedOptions: [])))
        // What PostgreSQL actually sends: the full version code 3.2 = 196610.
        #expect(
            try W.decodeOne(W.message("v", W.int32(196_610) + W.int32(0)))
                == .negotiateProtocolVersion(PGProtocolNegotiation(newestMinorVersion: 2, unrecognizedOptions: [])))
    }

    @Test func negotiateProtocolVersionBadCountIsRejected() {
        #expect(W.decodeError(W.message("v", W.int32(0) + W.int32(-1)))?.code == .protocolViolation)
        let error = W.decodeError(W.message("v", W.int32(0) + W.int32(1_000_000) + W.cString("a")))
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("option count") == true)
        #expect(W.decodeError(W.message("v", W.int32(0) + W.int32(2) + W.cString("a")))?.code == .protocolViolation)
    }

    // MARK: NotificationResponse 'A'

    @Test func notificationResponse() throws {
        // 4 + 3 + 3 = 10 bytes of body, length 14.
        let bytes: [UInt8] = [0x41, 0, 0, 0, 14, 0, 0, 0, 42, 0x63, 0x68, 0, 0x68, 0x69, 0]
        #expect(try W.decodeOne(bytes) == .notificationResponse(PGNotification(processID: 42, channel: "ch", payload: "hi")))
        #expect(W.decodeError([0x41, 0, 0, 0, 11, 0, 0, 0, 42, 0x63, 0x68, 0])?.code == .protocolViolation)
    }

    // MARK: ParameterDescription 't'

    @Test func parameterDescription() throws {
        let bytes: [UInt8] = [0x74, 0, 0, 0, 14, 0, 2, 0, 0, 0, 23, 0, 0, 0, 25]
        #expect(try W.decodeOne(bytes) == .parameterDescription([23, 25]))
        #expect(try W.decodeOne([0x74, 0, 0, 0, 6, 0, 0]) == .parameterDescription([]))
    }

    @Test func parameterDescriptionCountMismatchIsRejected() {
        #expect(W.decodeError([0x74, 0, 0, 0, 14, 0, 3, 0, 0, 0, 23, 0, 0, 0, 25])?.code == .protocolViolation)
        #expect(W.decodeError([0x74, 0, 0, 0, 15, 0, 2, 0, 0, 0, 23, 0, 0, 0, 25, 0])?.code == .protocolViolation)
    }

    @Test func parameterDescriptionCountAbove32767IsUnsigned() throws {
        // The server allows 65,535 parameters and writes the count into the Int16 unchanged;
        // such a message is also longer than the 30,000-byte cap for short messages.
        let count = 40_000
        let oids = (0..<count).flatMap { _ in W.int32(25) }
        let messages = try W.decodeAll(W.message("t", W.int16(Int16(truncatingIfNeeded: count)) + oids))
        #expect(messages == [.parameterDescription([UInt32](repeating: 25, count: count))])
    }

    // MARK: ParameterStatus 'S'

    @Test func parameterStatus() throws {
        let bytes: [UInt8] = [0x53, 0, 0, 0, 25] + W.ascii("client_encoding") + [0] + W.ascii("UTF8") + [0]
        #expect(try W.decodeOne(bytes) == .parameterStatus(name: "client_encoding", value: "UTF8"))
        #expect(W.decodeError(W.message("S", W.cString("client_encoding")))?.code == .protocolViolation)
    }

    // MARK: ReadyForQuery 'Z'

    @Test(arguments: [(UInt8(ascii: "I"), PGTransactionStatus.idle), (0x54, .inTransaction), (0x45, .failed)])
    func readyForQuery(status: UInt8, expected: PGTransactionStatus) throws {
        #expect(try W.decodeOne([0x5A, 0, 0, 0, 5, status]) == .readyForQuery(expected))
    }

    @Test func readyForQueryMalformedIsRejected() {
        let error = W.decodeError([0x5A, 0, 0, 0, 5, 0x58])
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("0x58") == true)
        #expect(W.decodeError([0x5A, 0, 0, 0, 4])?.code == .protocolViolation)
        #expect(W.decodeError([0x5A, 0, 0, 0, 6, 0x49, 0x49])?.code == .protocolViolation)
    }

    // MARK: RowDescription 'T'

    @Test func rowDescription() throws {
        // "id": 3 + 4 + 2 + 4 + 2 + 4 + 2 = 21 bytes; "": 1 + 18 = 19; body 2 + 21 + 19 = 42, length 46.
        let bytes: [UInt8] =
            [0x54, 0, 0, 0, 46, 0, 2]
            + [0x69, 0x64, 0, 0, 0, 0x40, 0x00, 0, 1, 0, 0, 0, 23, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]
            + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0xFF, 0xFF, 0, 0, 0, 8, 0, 1]
        let expected = [
            PGColumnDescription(
                name: "id", tableOID: 16384, columnAttributeNumber: 1, dataTypeOID: 23, dataTypeSize: 4,
                typeModifier: -1, format: .text),
            PGColumnDescription(
                name: "", tableOID: 0, columnAttributeNumber: 0, dataTypeOID: 17, dataTypeSize: -1,
                typeModifier: 8, format: .binary),
        ]
        #expect(try W.decodeOne(bytes) == .rowDescription(expected))
        #expect(try W.decodeOne([0x54, 0, 0, 0, 6, 0, 0]) == .rowDescription([]))
    }

    @Test func rowDescriptionMalformedIsRejected() {
        let column: [UInt8] = W.cString("id") + W.int32(0) + W.int16(0) + W.int32(23) + W.int16(4) + W.int32(-1)
        // Format code 2.
        #expect(W.decodeError(W.message("T", W.int16(1) + column + W.int16(2)))?.code == .protocolViolation)
        // Column cut short.
        #expect(W.decodeError(W.message("T", W.int16(1) + column))?.code == .protocolViolation)
        // Negative count.
        #expect(W.decodeError(W.message("T", W.int16(-1) + column + W.int16(0)))?.code == .protocolViolation)
        // Trailing bytes after the last column.
        #expect(W.decodeError(W.message("T", W.int16(1) + column + W.int16(0) + [0]))?.code == .protocolViolation)
    }

    @Test func rowDescriptionHugeCountInTinyBodyIsRejectedBeforeAllocating() {
        let error = W.decodeError([0x54, 0, 0, 0, 6, 0x7F, 0xFF])
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("cannot fit") == true)
    }

    // MARK: decodeBody

    @Test func decodeBodyDirectly() throws {
        let body: [UInt8] = [0x49]
        let message = try body.withUnsafeBytes { try BackendMessageDecoder.decodeBody(type: 0x5A, body: $0) }
        #expect(message == .readyForQuery(.idle))
        let empty: [UInt8] = []
        #expect(try empty.withUnsafeBytes { try BackendMessageDecoder.decodeBody(type: 0x32, body: $0) } == .bindComplete)
    }

    @Test func decodeBodyRejectsUnknownType() {
        let body: [UInt8] = []
        #expect(throws: PGError.self) {
            try body.withUnsafeBytes { try BackendMessageDecoder.decodeBody(type: 0x78, body: $0) }
        }
    }
}
