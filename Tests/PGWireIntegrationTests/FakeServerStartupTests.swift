@testable import PGWire
import Synchronization
import Testing

/// Startup and authentication against a ``ScriptedServer`` that stalls, breaks frames, lies in
/// SCRAM or floods: each must end in a typed PGError within a bound, never a hang or a trap.
@Suite("Fake server: startup and authentication")
struct FakeServerStartupTests {
    // MARK: The harness itself

    @Test("A trust handshake then a served simple query works (harness self-check)")
    func trustHandshakeWorks() async throws {
        try await withScriptedServer({ _ in ScriptStep.handshake + [.serveQueries(value: 7)] }) { server in
            guard let connection = await connectFake(server) else { return }
            let results = await expectSuccess { try await connection.simpleQuery("SELECT 7") }
            #expect(results?.first?.rows.first?.text(at: 0) == "7")
            #expect(connection.processID == BackendBytes.handshakePID)
            await connection.close()
            let record = try server.connection(0)
            #expect(record.startupParameters["user"] == "fake")
            #expect(server.problems.isEmpty, "\(server.problems)")
        }
    }

    @Test("A correct fake SCRAM-SHA-256 exchange authenticates, and the client's proof verifies")
    func scramExchangeWorks() async throws {
        let script: [ScriptStep] = [.readStartup, .scramServer(password: "secret"), .send(BackendBytes.trustHandshake), .serveQueries(value: 1)]
        try await withScriptedServer({ _ in script }) { server in
            guard let connection = await connectFake(server, password: "secret") else { return }
            _ = await expectSuccess { try await connection.query("SELECT 1", []).collect() }
            await connection.close()
            let record = try server.connection(0)
            #expect(record.scramProofValid == true)
            #expect(server.problems.isEmpty, "\(server.problems)")
        }
    }

    // MARK: Silence (a, b, c)

    @Test("(a) Silent after accept: connectTimeout 1 s ends the connect with .timeout")
    func silentAfterAccept() async throws {
        try await withScriptedServer({ _ in [.silent] }) { server in
            let configuration = PGConnection.Configuration.fake(server, connectTimeout: .seconds(1))
            await expectPGError(.timeout, within: .seconds(30), stopping: server) {
                try await PGConnection.connect(configuration)
            }
        }
    }

    @Test("(b) Silent after reading the startup packet: .timeout")
    func silentAfterStartup() async throws {
        try await withScriptedServer({ _ in [.readStartup, .silent] }) { server in
            let configuration = PGConnection.Configuration.fake(server, connectTimeout: .seconds(1))
            await expectPGError(.timeout, within: .seconds(30), stopping: server) {
                try await PGConnection.connect(configuration)
            }
        }
    }

    @Test("(c) Silent after the SASLInitialResponse: .timeout")
    func silentDuringSCRAM() async throws {
        let script: [ScriptStep] = [.readStartup, .send(BackendBytes.sasl()), .readMessage(type: "p"), .silent]
        try await withScriptedServer({ _ in script }) { server in
            let configuration = PGConnection.Configuration.fake(server, password: "secret", connectTimeout: .seconds(1))
            await expectPGError(.timeout, within: .seconds(30), stopping: server) {
                try await PGConnection.connect(configuration)
            }
        }
    }

    // MARK: Broken frames during startup (d, f)

    static let startupBreaks: [FrameCase] = [
        FrameCase("3 bytes of a header, then close", BackendBytes.authenticationOk.prefix(3).map { $0 }, .serverClosedConnection),
        FrameCase("a header announcing 100 bytes, 4 sent, then close", BackendBytes.raw("R", [0, 0, 0, 0], length: 104), .serverClosedConnection),
        FrameCase("ParameterStatus with length 1,000,000", BackendBytes.authenticationOk + BackendBytes.raw("S", [], length: 1_000_000), .messageTooLarge),
        FrameCase("a negative length", BackendBytes.raw("R", [0, 0, 0, 0], length: -5), .protocolViolation),
        FrameCase("a length of 3 (below 4)", BackendBytes.raw("R", [0, 0, 0, 0], length: 3), .protocolViolation),
        FrameCase("a length of 0", BackendBytes.raw("R", [], length: 0), .protocolViolation),
        FrameCase("BackendKeyData with a 4-byte body", BackendBytes.authenticationOk + BackendBytes.raw("K", BackendBytes.int32(1)), .protocolViolation),
        FrameCase("ReadyForQuery before any authentication", BackendBytes.readyForQuery("I"), .protocolViolation),
        FrameCase("an unknown message type 'j' during startup", BackendBytes.authenticationOk + BackendBytes.raw("j", [1, 2]), .protocolViolation),
        FrameCase("an undefined authentication request code 99", BackendBytes.raw("R", BackendBytes.int32(99)), .protocolViolation),
        FrameCase("SASL offering only SCRAM-SHA-256-PLUS", BackendBytes.sasl(["SCRAM-SHA-256-PLUS"]), .unsupportedAuthentication),
        FrameCase("SASLFinal without a SASLContinue", BackendBytes.sasl() + BackendBytes.saslFinal(Array("v=AAAA".utf8)), .protocolViolation),
        FrameCase("SASLContinue before any SASL request", BackendBytes.saslContinue(Array("r=abc,s=AAAA,i=4096".utf8)), .protocolViolation),
        FrameCase("GSSAPI requested", BackendBytes.raw("R", BackendBytes.int32(7)), .unsupportedAuthentication),
    ]

    @Test("(d, f, r) A broken frame during startup gives a typed error", arguments: startupBreaks)
    func brokenStartupFrame(_ frame: FrameCase) async throws {
        try await withScriptedServer({ _ in [.readStartup, .send(frame.bytes), .pause(.seconds(2)), .close] }) { server in
            // connect_timeout bounds the whole startup: longer than the pause, so that the
            // close (or the frame), not the timeout, is what ends these attempts.
            let configuration = PGConnection.Configuration.fake(server, password: "secret", connectTimeout: .seconds(10))
            await expectPGError(frame.expected, stopping: server) { try await PGConnection.connect(configuration) }
        }
    }

    @Test("(o) 100,000 distinct ParameterStatus messages during startup: .protocolViolation, not unbounded growth")
    func parameterStatusFlood() async throws {
        var flood = BackendBytes.authenticationOk
        for index in 0..<100_000 { flood += BackendBytes.parameterStatus("p\(index)", "v") }
        let bytes = flood + BackendBytes.afterAuthentication
        try await withScriptedServer({ _ in [.readStartup, .send(bytes), .serveQueries(value: 1)] }) { server in
            let configuration = PGConnection.Configuration.fake(server)
            let error = await expectPGError(.protocolViolation, stopping: server) {
                let connection = try await PGConnection.connect(configuration)
                let count = connection.shared.withLock { $0.parameters.count }
                await connection.close()
                return "connected, keeping \(count) parameters"
            }
            _ = error
        }
    }

    // MARK: SCRAM misbehaviour (l)

    static let scramCases: [SCRAMCase] = [
        SCRAMCase(.wrongServerSignature),
        SCRAMCase(.nonceNotExtendingClient),
        SCRAMCase(.nonceEqualToClient),
        SCRAMCase(.missingSalt),
        SCRAMCase(.okBeforeFinal),
        SCRAMCase(.none, iterations: 2_147_483_647),
        SCRAMCase(.none, iterations: 0),
    ]

    @Test("(l, r) A SCRAM server that misbehaves is rejected with .authentication", arguments: scramCases)
    func scramMisbehaviour(_ scram: SCRAMCase) async throws {
        let script: [ScriptStep] = [
            .readStartup, .scramServer(password: "secret", iterations: scram.iterations, tamper: scram.tamper),
            .send(BackendBytes.trustHandshake), .serveQueries(value: 1),
        ]
        try await withScriptedServer({ _ in script }) { server in
            let configuration = PGConnection.Configuration.fake(server, password: "secret")
            await expectPGError(.authentication, within: .seconds(30), stopping: server) {
                try await PGConnection.connect(configuration)
            }
        }
    }

    @Test("(l) FATAL 28P01 after SCRAM is a .server error carrying 28P01")
    func scramRejectedPassword() async throws {
        let script: [ScriptStep] = [
            .readStartup, .send(BackendBytes.sasl()), .readMessage(type: "p"),
            .send(BackendBytes.errorResponse(severity: "FATAL", code: "28P01", message: "password authentication failed")),
            .close,
        ]
        try await withScriptedServer({ _ in script }) { server in
            let configuration = PGConnection.Configuration.fake(server, password: "secret")
            let error = await expectPGError(.server, stopping: server) { try await PGConnection.connect(configuration) }
            #expect(error?.sqlState == "28P01")
        }
    }

    // MARK: Password exposure (p)

    @Test("(p) Without require_auth, a cleartext request is answered in clear, as libpq does")
    func cleartextPasswordIsSent() async throws {
        let script: [ScriptStep] = [
            .readStartup, .send(BackendBytes.cleartextPassword), .readMessage(type: "p"),
            .send(BackendBytes.trustHandshake), .serveQueries(value: 1),
        ]
        try await withScriptedServer({ _ in script }) { server in
            guard let connection = await connectFake(server, password: "secret-in-clear") else { return }
            await connection.close()
            let record = try server.connection(0)
            #expect(record.messages.first?.leadingString == "secret-in-clear")
            #expect(record.rawContains("secret-in-clear"))
        }
    }

    static let requireAuthCases: [FrameCase] = [
        FrameCase("cleartext requested", BackendBytes.cleartextPassword, .authentication),
        FrameCase("MD5 requested", BackendBytes.md5Password(salt: [9, 8, 7, 6]), .authentication),
        FrameCase("AuthenticationOk without any authentication", BackendBytes.trustHandshake, .authentication),
    ]

    @Test("(p) require_auth=scram-sha-256 refuses a weaker method and never sends the password", arguments: requireAuthCases)
    func requireAuthSCRAM(_ frame: FrameCase) async throws {
        let script: [ScriptStep] = [
            .readStartup, .send(frame.bytes), .readMessage(type: "p"), .send(BackendBytes.trustHandshake), .serveQueries(value: 1),
        ]
        try await withScriptedServer({ _ in script }) { server in
            let configuration = try PGConnection.Configuration(
                connectionString: "host=127.0.0.1 port=\(server.port) user=fake password=secret-in-clear require_auth=scram-sha-256 connect_timeout=5",
                environment: [:])
            await expectPGError(frame.expected, stopping: server) {
                let connection = try await PGConnection.connect(configuration)
                await connection.close()
                return "connected"
            }
            let record = try server.connection(0)
            #expect(!record.rawContains("secret-in-clear"), "the password was sent")
            #expect(!record.messageTypes.contains("p"), "a password message was sent")
        }
    }
}

/// Bytes a fake server sends and the PGError code the client must answer them with.
struct FrameCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var expected: PGError.Code
    init(_ name: String, _ bytes: [UInt8], _ expected: PGError.Code) {
        self.name = name
        self.bytes = bytes
        self.expected = expected
    }
    var testDescription: String { "\(name) → \(expected)" }
}

/// One SCRAM misbehaviour for a parameterised test.
struct SCRAMCase: Sendable, CustomTestStringConvertible {
    var tamper: SCRAMTamper
    var iterations: Int
    init(_ tamper: SCRAMTamper, iterations: Int = 4096) {
        self.tamper = tamper
        self.iterations = iterations
    }
    var testDescription: String { "\(tamper), i=\(iterations)" }
}
