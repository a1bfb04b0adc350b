// The contract: a query (or COPY) that gets no answer within `queryTimeout` fails with
// `.timeout`; the client sends a CancelRequest on a second connection carrying the pid and key
// of BackendKeyData; if the server has not brought the exchange to its ReadyForQuery within
// `cancelGrace` after that, the connection is closed (`isClosed == true`), since its state is
// unknown. If the server does answer the cancel in time, the connection stays usable.
import PGWire
import Testing

@Suite("Fake server: query timeouts")
struct FakeServerTimeoutTests {
    static func configuration(_ server: ScriptedServer) -> PGConnection.Configuration {
        var configuration = PGConnection.Configuration.fake(server)
        configuration.queryTimeout = .seconds(1)
        configuration.cancelGrace = .milliseconds(500)
        return configuration
    }

    /// Connection 0 plays `steps`; any later connection is expected to carry a CancelRequest.
    static func script(_ steps: [ScriptStep]) -> ScriptedServer.Script {
        { index in index == 0 ? steps : [.readStartup] }
    }

    static func connect(_ server: ScriptedServer) async -> PGConnection? {
        let configuration = configuration(server)
        return await expectSuccess(stopping: server) { try await PGConnection.connect(configuration) }
    }

    /// The one CancelRequest the server must have received, for the handshake's pid and key.
    static func expectCancelRequest(_ server: ScriptedServer, sourceLocation: SourceLocation = #_sourceLocation) async {
        let arrived = await server.wait(within: .seconds(15)) { !server.cancelRequests.isEmpty }
        #expect(arrived, "no CancelRequest arrived", sourceLocation: sourceLocation)
        #expect(
            server.cancelRequests == [
                ReceivedCancelRequest(processID: BackendBytes.handshakePID, secretKey: BackendBytes.handshakeKey, connectionIndex: 1)
            ],
            sourceLocation: sourceLocation)
    }

    @Test("(q) A cancelled task whose server ignores the cancel: .cancelled after cancelGrace, connection closed")
    func cancelledTaskWithoutTimeout() async throws {
        try await withScriptedServer(Self.script(ScriptStep.handshake + [.readMessage(type: "Q"), .silent])) { server in
            var configuration = PGConnection.Configuration.fake(server)
            configuration.cancelGrace = .milliseconds(500)  // and no query timeout at all
            let settings = configuration
            guard let connection = await expectSuccess(stopping: server, { try await PGConnection.connect(settings) }) else { return }
            let query = Task { try await connection.simpleQuery("SELECT pg_sleep(100)") }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            query.cancel()
            let outcome = await query.result
            #expect(ContinuousClock.now - started < .seconds(20))  // the grace, not the server's 100 s
            guard case .failure(let error) = outcome else {
                Issue.record("the query succeeded against a silent server")
                return
            }
            #expect(error is CancellationError)
            await Self.expectCancelRequest(server)
            #expect(connection.isClosed)
        }
    }

    @Test("(q) A simple query the server never answers: .timeout, CancelRequest, connection closed")
    func silentSimpleQuery() async throws {
        try await withScriptedServer(Self.script(ScriptStep.handshake + [.readMessage(type: "Q"), .silent])) { server in
            guard let connection = await Self.connect(server) else { return }
            await expectPGError(.timeout, within: .seconds(30), stopping: server) { try await connection.simpleQuery("SELECT pg_sleep(100)") }
            await Self.expectCancelRequest(server)
            #expect(connection.isClosed)
            await connection.close()
        }
    }

    @Test("(q) An extended query the server never answers: .timeout, CancelRequest, connection closed")
    func silentExtendedQuery() async throws {
        try await withScriptedServer(Self.script(ScriptStep.handshake + [.readUntil("S"), .silent])) { server in
            guard let connection = await Self.connect(server) else { return }
            await expectPGError(.timeout, within: .seconds(30), stopping: server) { try await connection.query("SELECT pg_sleep(100)", []).collect().count }
            await Self.expectCancelRequest(server)
            #expect(connection.isClosed)
            await connection.close()
        }
    }

    @Test("(q) A query answered with a RowDescription and then silence: .timeout, CancelRequest, connection closed")
    func silentAfterFirstMessage() async throws {
        let steps = ScriptStep.handshake + [.readMessage(type: "Q"), .send(BackendBytes.rowDescription([("v", 25, 0)])), .silent]
        try await withScriptedServer(Self.script(steps)) { server in
            guard let connection = await Self.connect(server) else { return }
            await expectPGError(.timeout, within: .seconds(30), stopping: server) { try await connection.simpleQuery("SELECT slow()") }
            await Self.expectCancelRequest(server)
            #expect(connection.isClosed)
            await connection.close()
        }
    }

    @Test("(q) COPY FROM STDIN whose server goes silent: .timeout, CancelRequest, connection closed")
    func silentCopyIn() async throws {
        let steps = ScriptStep.handshake + [.readMessage(type: "Q"), .send(BackendBytes.copyInResponse(binary: false, columnCount: 1)), .silent]
        try await withScriptedServer(Self.script(steps)) { server in
            guard let connection = await Self.connect(server) else { return }
            await expectPGError(.timeout, within: .seconds(30), stopping: server) {
                try await connection.copyIn(sql: "COPY t FROM STDIN", format: .text) { writer in
                    for row in 0..<10 { try await writer.write("\(row)\n") }
                }
            }
            await Self.expectCancelRequest(server)
            #expect(connection.isClosed)
            await connection.close()
        }
    }

    @Test("(q) A server that answers the cancel within the grace: .timeout, and the connection stays usable")
    func cancelHonoured() async throws {
        // The fake cannot tie connection 1's CancelRequest to connection 0, so connection 0
        // answers 57014 at 1.2 s: after the 1 s timeout's cancel, within the 500 ms grace.
        let steps = ScriptStep.handshake + [
            .readMessage(type: "Q"), .pause(.milliseconds(1200)),
            .send(BackendBytes.errorResponse(code: "57014", message: "canceling statement due to user request") + BackendBytes.readyForQuery()),
            .serveQueries(value: 5),
        ]
        try await withScriptedServer(Self.script(steps)) { server in
            guard let connection = await Self.connect(server) else { return }
            await expectPGError(.timeout, within: .seconds(30), stopping: server) { try await connection.simpleQuery("SELECT pg_sleep(100)") }
            await Self.expectCancelRequest(server)
            #expect(!connection.isClosed)
            let results = await expectSuccess(stopping: server) { try await connection.simpleQuery("SELECT 5") }
            #expect(results?.first?.rows.first?.text(at: 0) == "5")
            await connection.close()
        }
    }
}
