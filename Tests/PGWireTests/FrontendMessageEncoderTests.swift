import Testing

@_spi(Fuzzing) @testable import PGWire

private typealias W = WireBytes

/// Every frontend message against bytes written from the protocol's "Message Formats" page.
@Suite("Frontend message encoder")
struct FrontendMessageEncoderTests {
    /// An encoder already holding a Sync, so that tests can check it is left untouched.
    private static func primed() -> FrontendMessageEncoder {
        var encoder = FrontendMessageEncoder()
        encoder.sync()
        return encoder
    }

    private static let syncBytes: [UInt8] = [0x53, 0, 0, 0, 4]

    /// Runs `body`, expects an invalidArgument error and a buffer left as it was; returns the error.
    private static func expectRejected(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (inout FrontendMessageEncoder) throws -> Void
    ) -> PGError? {
        var encoder = primed()
        var caught: PGError?
        do {
            try body(&encoder)
            Issue.record("no error thrown", sourceLocation: sourceLocation)
        } catch let error as PGError {
            caught = error
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        #expect(caught?.code == .invalidArgument, sourceLocation: sourceLocation)
        #expect(encoder.buffer == syncBytes, "buffer changed by a failed call", sourceLocation: sourceLocation)
        return caught
    }

    // MARK: Startup and authentication

    @Test func startupMessage() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.startup(user: "postgres", database: "db", parameters: [("application_name", "x")])
        // 8 + "user\0" 5 + "postgres\0" 9 + "database\0" 9 + "db\0" 3 + "application_name\0" 17 + "x\0" 2 + 1 = 54
        let expected: [UInt8] =
            [0, 0, 0, 54, 0, 3, 0, 0]
            + W.ascii("user") + [0] + W.ascii("postgres") + [0] + W.ascii("database") + [0] + W.ascii("db") + [0]
            + W.ascii("application_name") + [0] + W.ascii("x") + [0] + [0]
        #expect(encoder.buffer == expected)
    }

    @Test func startupWithoutDatabaseOmitsIt() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.startup(user: "u", database: nil, parameters: [])
        // 8 + "user\0" 5 + "u\0" 2 + 1 = 16
        #expect(encoder.buffer == [0, 0, 0, 16, 0, 3, 0, 0, 0x75, 0x73, 0x65, 0x72, 0, 0x75, 0, 0])
    }

    @Test func startupRejectsNULAndEmptyParameterNames() {
        #expect(Self.expectRejected { try $0.startup(user: "a\0b", database: nil, parameters: []) }?.message.contains("user") == true)
        #expect(Self.expectRejected { try $0.startup(user: "a", database: "d\0", parameters: []) }?.message.contains("database") == true)
        let value = Self.expectRejected { try $0.startup(user: "a", database: nil, parameters: [("k", "v"), ("options", "x\0y")]) }
        #expect(value?.message.contains("startup parameter 2") == true)
        #expect(Self.expectRejected { try $0.startup(user: "a", database: nil, parameters: [("", "v")]) }?.message.contains("empty") == true)
    }

    @Test func sslRequest() {
        var encoder = FrontendMessageEncoder()
        encoder.sslRequest()
        // 80877103 = 0x04D2162F
        #expect(encoder.buffer == [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F])
    }

    @Test func cancelRequest() {
        var encoder = FrontendMessageEncoder()
        encoder.cancelRequest(processID: 0x0102_0304, secretKey: [0xDE, 0xAD, 0xBE, 0xEF])
        // 80877102 = 0x04D2162E
        #expect(encoder.buffer == [0, 0, 0, 16, 0x04, 0xD2, 0x16, 0x2E, 1, 2, 3, 4, 0xDE, 0xAD, 0xBE, 0xEF])
    }

    @Test func cancelRequestWithLongKeyOfProtocol32() {
        var encoder = FrontendMessageEncoder()
        let key = [UInt8](repeating: 0xAA, count: 32)
        encoder.cancelRequest(processID: 7, secretKey: key)
        #expect(encoder.buffer == [0, 0, 0, 44, 0x04, 0xD2, 0x16, 0x2E, 0, 0, 0, 7] + key)
    }

    @Test func passwordMessage() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.password("pw")
        #expect(encoder.buffer == [0x70, 0, 0, 0, 7, 0x70, 0x77, 0])
    }

    @Test func passwordWithNULIsRejectedWithoutShowingIt() {
        let secret = "hunter2\0secret"
        let error = Self.expectRejected { try $0.password(secret) }
        #expect(error?.message.contains("password") == true)
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.description.contains("secret") == false)
    }

    @Test func saslInitialResponse() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.saslInitialResponse(mechanism: "SCRAM-SHA-256", initialResponse: W.ascii("n,,n=,r=abc"))
        // 4 + 14 + 4 + 11 = 33
        let expected: [UInt8] =
            [0x70, 0, 0, 0, 33] + W.ascii("SCRAM-SHA-256") + [0] + [0, 0, 0, 11] + W.ascii("n,,n=,r=abc")
        #expect(encoder.buffer == expected)
    }

    @Test func saslInitialResponseWithoutDataSendsMinusOne() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.saslInitialResponse(mechanism: "SCRAM-SHA-256", initialResponse: [])
        #expect(encoder.buffer == [0x70, 0, 0, 0, 22] + W.ascii("SCRAM-SHA-256") + [0, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Self.expectRejected { try $0.saslInitialResponse(mechanism: "SCRAM\0", initialResponse: [1]) } != nil)
    }

    @Test func saslResponse() {
        var encoder = FrontendMessageEncoder()
        encoder.saslResponse([1, 2, 3])
        #expect(encoder.buffer == [0x70, 0, 0, 0, 7, 1, 2, 3])
    }

    // MARK: Queries

    @Test func simpleQuery() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.query("SELECT 1")
        #expect(encoder.buffer == [0x51, 0, 0, 0, 13] + W.ascii("SELECT 1") + [0])
    }

    @Test func queryWithMultibyteUTF8CountsBytes() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.query("é")  // 2 UTF-8 bytes
        #expect(encoder.buffer == [0x51, 0, 0, 0, 7, 0xC3, 0xA9, 0])
    }

    @Test func queryWithNULIsRejectedAndRolledBack() {
        let error = Self.expectRejected { try $0.query("SELECT 1;\0DROP TABLE t") }
        #expect(error?.message.contains("query") == true)
        #expect(error?.message.contains("DROP") == false)
    }

    @Test func parseMessage() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.parse(statementName: "s1", query: "SELECT $1", parameterTypes: [23])
        // 4 + 3 + 10 + 2 + 4 = 23
        let expected: [UInt8] =
            [0x50, 0, 0, 0, 23] + W.ascii("s1") + [0] + W.ascii("SELECT $1") + [0] + [0, 1] + [0, 0, 0, 23]
        #expect(encoder.buffer == expected)
    }

    @Test func parseWithLargestOIDAndNoTypes() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.parse(statementName: "", query: "", parameterTypes: [UInt32.max])
        #expect(encoder.buffer == [0x50, 0, 0, 0, 12, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func parameterCountLimitIs65535() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.parse(statementName: "", query: "", parameterTypes: [UInt32](repeating: 0, count: 65_535))
        #expect(Array(encoder.buffer[7..<9]) == [0xFF, 0xFF])
        #expect(encoder.buffer.count == 1 + 4 + 1 + 1 + 2 + 4 * 65_535)

        let parse = Self.expectRejected {
            try $0.parse(statementName: "", query: "", parameterTypes: [UInt32](repeating: 0, count: 65_536))
        }
        #expect(parse?.message.contains("65536") == true)
        _ = Self.expectRejected {
            try $0.bind(
                portalName: "", statementName: "", parameterFormats: [],
                parameters: [[UInt8]?](repeating: nil, count: 65_536), resultFormats: [])
        }
        _ = Self.expectRejected {
            try $0.bind(
                portalName: "", statementName: "", parameterFormats: [PGFormat](repeating: .binary, count: 65_536),
                parameters: [], resultFormats: [])
        }
        _ = Self.expectRejected {
            try $0.bind(
                portalName: "", statementName: "", parameterFormats: [], parameters: [],
                resultFormats: [PGFormat](repeating: .binary, count: 65_536))
        }
    }

    @Test func parseWithNULIsRejected() {
        #expect(Self.expectRejected { try $0.parse(statementName: "s\0", query: "", parameterTypes: []) }?.message.contains("statement name") == true)
        #expect(Self.expectRejected { try $0.parse(statementName: "s", query: "x\0", parameterTypes: []) }?.message.contains("query") == true)
    }

    @Test func bindMessage() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.bind(
            portalName: "", statementName: "s1", parameterFormats: [.binary],
            parameters: [[0, 0, 0, 1], nil, []], resultFormats: [.binary])
        // 4 + 1 + 3 + (2 + 2) + 2 + (4 + 4) + 4 + 4 + (2 + 2) = 34
        let expected: [UInt8] =
            [0x42, 0, 0, 0, 34, 0] + W.ascii("s1") + [0]
            + [0, 1, 0, 1]
            + [0, 3, 0, 0, 0, 4, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
            + [0, 1, 0, 1]
        #expect(encoder.buffer == expected)
    }

    @Test func bindWithoutAnything() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.bind(portalName: "", statementName: "", parameterFormats: [], parameters: [], resultFormats: [])
        #expect(encoder.buffer == [0x42, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func bindWithNULNameIsRejected() {
        let error = Self.expectRejected {
            try $0.bind(portalName: "p\0", statementName: "", parameterFormats: [], parameters: [[1]], resultFormats: [])
        }
        #expect(error?.message.contains("portal name") == true)
    }

    @Test func messageOverTheServerLimitIsRejectedAndRolledBack() throws {
        var encoder = Self.primed()
        encoder.maxMessageLength = 100
        #expect(throws: PGError.self) {
            try encoder.bind(
                portalName: "", statementName: "", parameterFormats: [], parameters: [[UInt8](repeating: 1, count: 200)],
                resultFormats: [])
        }
        #expect(encoder.buffer == Self.syncBytes)
        #expect(throws: PGError.self) { try encoder.query(String(repeating: "x", count: 96)) }
        #expect(encoder.buffer == Self.syncBytes)
        // Exactly at the limit: 4 + 95 + 1 = 100.
        try encoder.query(String(repeating: "x", count: 95))
        #expect(encoder.buffer.count == Self.syncBytes.count + 101)
    }

    @Test func describeMessages() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.describeStatement("s1")
        try encoder.describePortal("")
        #expect(encoder.buffer == [0x44, 0, 0, 0, 8, 0x53, 0x73, 0x31, 0] + [0x44, 0, 0, 0, 6, 0x50, 0])
        #expect(Self.expectRejected { try $0.describeStatement("\0") }?.message.contains("statement name") == true)
        #expect(Self.expectRejected { try $0.describePortal("\0") }?.message.contains("portal name") == true)
    }

    @Test func executeMessage() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.execute(portalName: "", maxRows: 0)
        try encoder.execute(portalName: "p", maxRows: 100)
        #expect(encoder.buffer == [0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0] + [0x45, 0, 0, 0, 10, 0x70, 0, 0, 0, 0, 100])
        #expect(Self.expectRejected { try $0.execute(portalName: "\0", maxRows: 0) } != nil)
    }

    @Test func closeMessages() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.closeStatement("s1")
        try encoder.closePortal("p")
        #expect(encoder.buffer == [0x43, 0, 0, 0, 8, 0x53, 0x73, 0x31, 0] + [0x43, 0, 0, 0, 7, 0x50, 0x70, 0])
        #expect(Self.expectRejected { try $0.closeStatement("\0") } != nil)
        #expect(Self.expectRejected { try $0.closePortal("\0") } != nil)
    }

    @Test func bodilessMessages() {
        var encoder = FrontendMessageEncoder()
        encoder.sync()
        encoder.flush()
        encoder.terminate()
        encoder.copyDone()
        #expect(encoder.buffer == [0x53, 0, 0, 0, 4, 0x48, 0, 0, 0, 4, 0x58, 0, 0, 0, 4, 0x63, 0, 0, 0, 4])
    }

    @Test func pipelineOfMessagesIsConcatenated() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.parse(statementName: "", query: "SELECT 1", parameterTypes: [])
        try encoder.bind(portalName: "", statementName: "", parameterFormats: [], parameters: [], resultFormats: [])
        try encoder.describePortal("")
        try encoder.execute(portalName: "", maxRows: 0)
        encoder.sync()
        let expected: [UInt8] =
            [0x50, 0, 0, 0, 16, 0] + W.ascii("SELECT 1") + [0, 0, 0]
            + [0x42, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0]
            + [0x44, 0, 0, 0, 6, 0x50, 0]
            + [0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]
            + [0x53, 0, 0, 0, 4]
        #expect(encoder.buffer == expected)
    }

    // MARK: COPY

    @Test func copyDataMessage() {
        var encoder = FrontendMessageEncoder()
        encoder.copyData([1, 2, 3])
        encoder.copyData([UInt8]()[...])
        encoder.copyData([9, 8, 7, 6][1...])
        #expect(encoder.buffer == [0x64, 0, 0, 0, 7, 1, 2, 3] + [0x64, 0, 0, 0, 4] + [0x64, 0, 0, 0, 7, 8, 7, 6])
    }

    @Test func copyDataOverTheChunkSizeIsSplit() {
        var encoder = FrontendMessageEncoder()
        encoder.copyData([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], chunkSize: 4)
        let expected: [UInt8] =
            [0x64, 0, 0, 0, 8, 1, 2, 3, 4] + [0x64, 0, 0, 0, 8, 5, 6, 7, 8] + [0x64, 0, 0, 0, 6, 9, 10]
        #expect(encoder.buffer == expected)
    }

    @Test func copyFailMessage() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.copyFail("boom")
        #expect(encoder.buffer == [0x66, 0, 0, 0, 9, 0x62, 0x6F, 0x6F, 0x6D, 0])
        #expect(Self.expectRejected { try $0.copyFail("a\0b") }?.message.contains("COPY") == true)
    }

    // MARK: Buffer

    @Test func resetEmptiesTheBufferAndKeepsItsCapacity() throws {
        var encoder = FrontendMessageEncoder()
        try encoder.query(String(repeating: "x", count: 1_000))
        let capacity = encoder.buffer.capacity
        encoder.reset()
        #expect(encoder.buffer.isEmpty)
        #expect(encoder.buffer.capacity == capacity)
        encoder.sync()
        #expect(encoder.buffer == Self.syncBytes)
    }

    @Test func encodedBackendStyleMessagesRoundTripThroughTheDecoder() throws {
        // CopyData and CopyDone share their layout in both directions.
        var encoder = FrontendMessageEncoder()
        encoder.copyData([5, 6, 7])
        encoder.copyDone()
        #expect(try WireBytes.decodeAll(encoder.buffer) == [.copyData([5, 6, 7]), .copyDone])
    }
}
