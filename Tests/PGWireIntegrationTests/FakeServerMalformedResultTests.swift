import PGWire
import Testing

/// Results whose shape contradicts what the client asked for: a DataRow with the wrong number
/// of columns, fewer or more results than statements in a batch or pipeline. The client must
/// throw ``PGError/Code/protocolViolation`` rather than trap or return a wrong result.
///
/// Kept apart from the other fake-server suites because these used to trap (a precondition
/// or an index out of range ends the whole test process): run them alone with
/// `swift test --filter FakeServerMalformedResultTests` when changing the result readers.
@Suite("Fake server: malformed results")
struct FakeServerMalformedResultTests {
    static let oneColumnHead = BackendBytes.parseComplete + BackendBytes.bindComplete + BackendBytes.rowDescription([("v", 23, 1)])

    /// A whole extended result of one int4 row, as answered to Parse/Bind/Describe/Execute.
    static func fullResult(_ value: Int32) -> [UInt8] {
        oneColumnHead + BackendBytes.dataRow([BackendBytes.int32(value)]) + BackendBytes.commandComplete("SELECT 1")
    }

    static func script(_ answer: [UInt8]) -> [ScriptStep] {
        ScriptStep.handshake + [.readUntil("S"), .pause(.milliseconds(50)), .send(answer), .pause(.seconds(1)), .close]
    }

    // MARK: (e) DataRow column count

    @Test("(e) Extended query: a DataRow with 2 values for 1 described column is .protocolViolation")
    func extendedDataRowTooWide() async throws {
        let answer = Self.oneColumnHead + BackendBytes.dataRow([BackendBytes.int32(1), BackendBytes.int32(2)])
            + BackendBytes.commandComplete("SELECT 1") + BackendBytes.readyForQuery()
        try await withScriptedServer({ _ in Self.script(answer) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) {
                let rows = try await connection.query("SELECT 1", []).collect()
                return try rows.map { try $0.decode(Int32.self, at: 0) }
            }
            await connection.close()
        }
    }

    @Test("(e) Extended query: a DataRow with no values for 1 described column is .protocolViolation")
    func extendedDataRowTooNarrow() async throws {
        let answer = Self.oneColumnHead + BackendBytes.dataRow([]) + BackendBytes.commandComplete("SELECT 1") + BackendBytes.readyForQuery()
        try await withScriptedServer({ _ in Self.script(answer) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) {
                let rows = try await connection.query("SELECT 1", []).collect()
                return try rows.map { try $0.decode(Int32.self, at: 0) }
            }
            await connection.close()
        }
    }

    @Test("(e) Simple query: a DataRow with 2 values for 1 described column is .protocolViolation")
    func simpleDataRowTooWide() async throws {
        let answer = BackendBytes.rowDescription([("v", 25, 0)]) + BackendBytes.dataRow([Array("1".utf8), Array("2".utf8)])
            + BackendBytes.commandComplete("SELECT 1") + BackendBytes.readyForQuery()
        let script = ScriptStep.handshake + [.readMessage(type: "Q"), .send(answer), .pause(.seconds(1)), .close]
        try await withScriptedServer({ _ in script }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) {
                let results = try await connection.simpleQuery("SELECT 1")
                return results.map { $0.rows.map { $0.text(at: 0) } }
            }
            await connection.close()
        }
    }

    // MARK: (i) Results and statements do not match

    static let threeQueries: [PGQuery] = ["SELECT 1", "SELECT 2", "SELECT 3"]

    @Test("(i) batch of 3 answered with 1 result then ReadyForQuery: .protocolViolation")
    func batchTooFewResults() async throws {
        try await withScriptedServer({ _ in Self.script(Self.fullResult(1) + BackendBytes.readyForQuery()) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) { try await connection.batch(Self.threeQueries).count }
            await connection.close()
        }
    }

    @Test("(i) batch of 1 answered with 2 results: .protocolViolation")
    func batchTooManyResults() async throws {
        try await withScriptedServer({ _ in Self.script(Self.fullResult(1) + Self.fullResult(2) + BackendBytes.readyForQuery()) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) { try await connection.batch(["SELECT 1"]).count }
            await connection.close()
        }
    }

    @Test("(i) pipeline of 3 answered with 1 result and 3 ReadyForQuery: .protocolViolation")
    func pipelineTooFewResults() async throws {
        let answer = Self.fullResult(1) + BackendBytes.readyForQuery() + BackendBytes.readyForQuery() + BackendBytes.readyForQuery()
        try await withScriptedServer({ _ in Self.script(answer) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) { try await connection.pipeline(Self.threeQueries).count }
            await connection.close()
        }
    }

    @Test("(i) pipeline of 1 answered with 2 results before its ReadyForQuery: .protocolViolation")
    func pipelineTooManyResults() async throws {
        try await withScriptedServer({ _ in Self.script(Self.fullResult(1) + Self.fullResult(2) + BackendBytes.readyForQuery()) }) { server in
            guard let connection = await connectFake(server) else { return }
            await expectPGError(.protocolViolation, stopping: server) { try await connection.pipeline(["SELECT 1"]).count }
            await connection.close()
        }
    }
}
