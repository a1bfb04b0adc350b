import PGWire
import Testing

/// Queries, COPY and notifications against a ``ScriptedServer`` that breaks frames, sends
/// messages out of order, reports errors mid-COPY or floods: each ends in a typed PGError within
/// a bound, and where the protocol allows it the connection stays usable.
@Suite("Fake server: queries, COPY and notifications")
struct FakeServerQueryTests {
    /// A handshake, then: read one simple Query and send `answer`, then serve further queries.
    static func afterSimpleQuery(_ answer: [UInt8], thenServe: Bool = true) -> [ScriptStep] {
        ScriptStep.handshake + [.readMessage(type: "Q"), .send(answer)] + (thenServe ? [.serveQueries(value: 5)] : [.pause(.seconds(1)), .close])
    }

    /// A handshake, then: read an extended batch up to its Sync and send `answer`, then serve.
    static func afterExtendedQuery(_ answer: [UInt8], thenServe: Bool = true) -> [ScriptStep] {
        ScriptStep.handshake + [.readUntil("S"), .send(answer)] + (thenServe ? [.serveQueries(value: 5)] : [.pause(.seconds(1)), .close])
    }

    /// The start of a one-int4-column extended result: ParseComplete, BindComplete, RowDescription.
    static let extendedHead = BackendBytes.parseComplete + BackendBytes.bindComplete + BackendBytes.rowDescription([("v", 23, 1)])

    // MARK: Broken frames mid-query (d, f, g, m)

    static let simpleQueryBreaks: [FrameCase] = [
        FrameCase("3 bytes of a RowDescription header, then close", Array(BackendBytes.rowDescription([("v", 25, 0)]).prefix(3)), .serverClosedConnection),
        FrameCase("a DataRow header announcing 1,000 bytes, 10 sent, then close",
            BackendBytes.rowDescription([("v", 25, 0)]) + Array(BackendBytes.raw("D", Array(repeating: 0, count: 10), length: 1004)), .serverClosedConnection),
        FrameCase("a DataRow with length 0x7fffffff", BackendBytes.rowDescription([("v", 25, 0)]) + BackendBytes.raw("D", [0, 1], length: 0x7fff_ffff), .messageTooLarge),
        FrameCase("a CommandComplete with a negative length", BackendBytes.raw("C", [], length: -1), .protocolViolation),
        FrameCase("a CommandComplete with length 2", BackendBytes.raw("C", [], length: 2), .protocolViolation),
        FrameCase("a ParameterStatus with length 1,000,000", BackendBytes.raw("S", [], length: 1_000_000), .messageTooLarge),
        FrameCase("an unknown message type 'j'", BackendBytes.raw("j", [1, 2, 3]), .protocolViolation),
    ]

    @Test("(d, f, g) A broken frame answering a simple query gives a typed error", arguments: simpleQueryBreaks)
    func brokenSimpleQueryFrame(_ frame: FrameCase) async throws {
        try await withScriptedServer({ _ in Self.afterSimpleQuery(frame.bytes, thenServe: false) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(frame.expected, stopping: server) { try await connection.simpleQuery("SELECT 1") }
            await connection.close()
        }
    }

    /// The same breaks after the extended header (`extendedHead` already has the RowDescription:
    /// a second one would itself be a violation).
    static let extendedQueryBreaks: [FrameCase] = simpleQueryBreaks.map { frame in
        let description = BackendBytes.rowDescription([("v", 25, 0)])
        guard frame.bytes.starts(with: description), frame.bytes.count > description.count else { return frame }
        return FrameCase(frame.name, Array(frame.bytes.dropFirst(description.count)), frame.expected)
    }

    @Test("(d, f, g) A broken frame answering an extended query gives a typed error", arguments: extendedQueryBreaks)
    func brokenExtendedQueryFrame(_ frame: FrameCase) async throws {
        try await withScriptedServer({ _ in Self.afterExtendedQuery(frame.bytes, thenServe: false) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(frame.expected, stopping: server) { try await connection.query("SELECT 1", []).collect().count }
            await connection.close()
        }
    }

    @Test("(m) FATAL 57P01 mid-query, then close: .serverClosedConnection carrying 57P01")
    func fatalMidQuery() async throws {
        let fatal = BackendBytes.errorResponse(severity: "FATAL", code: "57P01", message: "terminating connection due to administrator command")
        try await withScriptedServer({ _ in Self.afterSimpleQuery(BackendBytes.rowDescription([("v", 25, 0)]) + fatal, thenServe: false) }) { server in
            guard let connection = await connectFake(server) else { return }
            let error = await expectPGError(.serverClosedConnection, stopping: server) { try await connection.simpleQuery("SELECT pg_sleep(10)") }
            #expect(error?.serverFields[.sqlState] == "57P01")
            #expect(connection.isClosed)
            await connection.close()
        }
    }

    @Test("(g) An unknown message type while idle fails the next query with .protocolViolation")
    func unknownMessageWhileIdle() async throws {
        let script: [ScriptStep] = [.readStartup, .send(BackendBytes.trustHandshake + BackendBytes.raw("j", [0, 0])), .serveQueries(value: 5)]
        try await withScriptedServer({ _ in script }) { server in
            guard let connection = await connectFake(server) else { return }
            try await Task.sleep(for: .milliseconds(100))
            await expectPGError(.protocolViolation, stopping: server) { try await connection.simpleQuery("SELECT 5") }
            await connection.close()
        }
    }

    @Test("(h) A second ReadyForQuery after the handshake fails the next query with .protocolViolation")
    func repeatedReadyForQuery() async throws {
        let script: [ScriptStep] = [.readStartup, .send(BackendBytes.trustHandshake + BackendBytes.readyForQuery("I")), .serveQueries(value: 5)]
        try await withScriptedServer({ _ in script }) { server in
            guard let connection = await connectFake(server) else { return }
            try await Task.sleep(for: .milliseconds(100))
            await expectPGError(.protocolViolation, stopping: server) {
                let results = try await connection.simpleQuery("SELECT 5")
                return "returned \(results.count) results, first row \(results.first?.rows.first?.text(at: 0) ?? "none")"
            }
            await connection.close()
        }
    }

    @Test("(r) DataRow before RowDescription in a simple query: .protocolViolation")
    func dataRowBeforeRowDescription() async throws {
        let answer = BackendBytes.dataRow([Array("1".utf8)]) + BackendBytes.commandComplete("SELECT 1") + BackendBytes.readyForQuery()
        try await withScriptedServer({ _ in Self.afterSimpleQuery(answer) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) {
                let results = try await connection.simpleQuery("SELECT 1")
                return "returned \(results.count) results"
            }
            await connection.close()
        }
    }

    /// A server waiting for COPY data and a client waiting for ReadyForQuery would wait for
    /// each other forever. The contract, as simpleQuery already does: answer CopyFail, then
    /// report the server's error and stay usable.
    static func copyInResponseScript(extended: Bool) -> [ScriptStep] {
        let head = extended ? BackendBytes.parseComplete + BackendBytes.bindComplete + BackendBytes.noData : []
        return ScriptStep.handshake + [
            extended ? .readUntil("S") : .readMessage(type: "Q"),
            .send(head + BackendBytes.copyInResponse(binary: false, columnCount: 1)),
            .readMessage(type: "f"),
            .send(BackendBytes.errorResponse(code: "57014", message: "COPY from stdin failed") + BackendBytes.readyForQuery()),
            .serveQueries(value: 5),
        ]
    }

    @Test("(r) CopyInResponse to a simple query: the client sends CopyFail, gets .server 57014, stays usable")
    func copyInResponseToSimpleQuery() async throws {
        try await withScriptedServer({ _ in Self.copyInResponseScript(extended: false) }) { server in
            guard let connection = await connectFake(server) else { return }
            let error = await expectPGError(.server, within: .seconds(30), stopping: server) { try await connection.simpleQuery("COPY t FROM STDIN") }
            #expect(error?.sqlState == "57014")
            let results = await expectSuccess(stopping: server) { try await connection.simpleQuery("SELECT 5") }
            #expect(results?.first?.rows.first?.text(at: 0) == "5")
            await connection.close()
        }
    }

    /// A pipelined query cannot answer copy mode: other tasks' requests may already be on the
    /// wire behind it, and the server would take them for copy data. The connection ends with a
    /// clear error instead of waiting forever for a ReadyForQuery.
    @Test("(r) CopyInResponse to an extended query: .protocolViolation naming copyIn, the connection closed, no hang")
    func copyInResponseToExtendedQuery() async throws {
        try await withScriptedServer({ _ in Self.copyInResponseScript(extended: true) }) { server in
            guard let connection = await connectFake(server) else { return }
            let error = await expectPGError(.protocolViolation, within: .seconds(30), stopping: server) {
                try await connection.execute("COPY t FROM STDIN", [])
            }
            #expect(error?.message.contains("copyIn") == true)
            #expect(connection.isClosed)
        }
    }

    // MARK: COPY (j, k)

    @Test("(j) ErrorResponse during COPY IN: .server with its SQLSTATE, and the connection stays usable")
    func errorDuringCopyIn() async throws {
        let script = ScriptStep.handshake + [
            .readMessage(type: "Q"), .send(BackendBytes.copyInResponse(binary: false, columnCount: 1)),
            .readMessage(type: "d"),
            .send(BackendBytes.errorResponse(code: "23505", message: "duplicate key value violates unique constraint") + BackendBytes.readyForQuery()),
            .serveQueries(value: 5),
        ]
        try await withScriptedServer({ _ in script }) { server in
            guard let connection = await connectFake(server) else { return }
            let error = await expectPGError(.server, stopping: server) {
                try await connection.copyIn(sql: "COPY t FROM STDIN", format: .text) { writer in
                    // Enough data (2 MB) that the writer sends CopyData before the end, so the
                    // error arrives while the client is still writing.
                    let row = String(repeating: "x", count: 1000) + "\n"
                    for index in 0..<2000 {
                        try await writer.write(row)
                        if index == 100 { try await Task.sleep(for: .milliseconds(300)) }
                    }
                }
            }
            #expect(error?.sqlState == "23505")
            let results = await expectSuccess(stopping: server) { try await connection.simpleQuery("SELECT 5") }
            #expect(results?.first?.rows.first?.text(at: 0) == "5")
            await connection.close()
        }
    }

    @Test("(k) ErrorResponse during COPY OUT: iteration throws .server, and the connection stays usable")
    func errorDuringCopyOut() async throws {
        let answer = BackendBytes.copyOutResponse(binary: false, columnCount: 1) + BackendBytes.copyData("a\n") + BackendBytes.copyData("b\n")
            + BackendBytes.errorResponse(code: "57014", message: "canceling statement due to user request") + BackendBytes.readyForQuery()
        try await withScriptedServer({ _ in Self.afterSimpleQuery(answer) }) { server in
            guard let connection = await connectFake(server) else { return }
            let error = await expectPGError(.server, stopping: server) {
                var chunks = 0
                for try await _ in try await connection.copyOut("COPY t TO STDOUT") { chunks += 1 }
                return "ended after \(chunks) chunks"
            }
            #expect(error?.sqlState == "57014")
            let results = await expectSuccess(stopping: server) { try await connection.simpleQuery("SELECT 5") }
            #expect(results?.first?.rows.first?.text(at: 0) == "5")
            await connection.close()
        }
    }

    // MARK: Notifications (n)

    @Test("(n) 10,000 notifications to a listener that does not read end its sequence with .notificationBufferFull")
    func notificationFlood() async throws {
        var flood: [UInt8] = []
        for index in 0..<10_000 { flood += BackendBytes.notification(pid: 99, channel: "c", payload: "\(index)") }
        let script = ScriptStep.handshake + [
            .readMessage(type: "Q"), .send(BackendBytes.commandComplete("LISTEN") + BackendBytes.readyForQuery()),
            .send(flood), .serveQueries(value: 5),
        ]
        try await withScriptedServer({ _ in script }) { server in
            guard let connection = await connectFake(server) else { return }
            guard let notifications = await expectSuccess(stopping: server, { try await connection.listen("c", bufferLimit: 100) }) else { return }
            try await Task.sleep(for: .seconds(1))
            let received = SharedList<String>()
            let error = await expectPGError(.notificationBufferFull, stopping: server) {
                for try await notification in notifications { received.append(notification.payload) }
                return "ended without error"
            }
            _ = error
            #expect(received.all.count <= 100, "\(received.all.count) notifications buffered beyond the limit")
            let record = try server.connection(0)
            #expect(record.leadingQuery == "LISTEN \"c\"")
            await connection.close()
        }
    }
}

extension ConnectionRecord {
    /// The SQL of the first simple Query the client sent.
    var leadingQuery: String? { messages.first { $0.type == "Q" }?.leadingString }
}
