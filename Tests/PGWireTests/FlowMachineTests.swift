@_spi(Fuzzing) @testable import PGWire
import Testing

/// The protocol flows without a socket: scripted backend messages in, actions out. Each
/// misbehaviour must end in a typed error, never a trap or a wrong result.
enum Script {
    static func column(_ name: String, _ oid: UInt32 = 23) -> PGColumnDescription {
        PGColumnDescription(
            name: name, tableOID: 0, columnAttributeNumber: 0, dataTypeOID: oid, dataTypeSize: 4, typeModifier: -1,
            format: .binary)
    }

    static func row(_ values: [UInt8]...) -> BackendMessage { .dataRow(DataRow(columns: values.map { $0 })) }

    static let idle = BackendMessage.readyForQuery(.idle)
    static let failure = BackendMessage.errorResponse([.severity: "ERROR", .sqlState: "42P01", .message: "no table"])

    /// Feeds messages until one throws; returns that error, or nil if none did.
    static func violation<M>(_ machine: inout M, _ messages: [BackendMessage], _ feed: (inout M, BackendMessage) throws -> Void) -> PGError? {
        for message in messages {
            do {
                try feed(&machine, message)
            } catch let error as PGError {
                return error
            } catch {
                Issue.record("not a PGError: \(error)")
                return nil
            }
        }
        return nil
    }
}

@Suite struct SimpleQueryMachineTests {
    func run(_ messages: [BackendMessage]) throws -> SimpleQueryMachine.Action? {
        var machine = SimpleQueryMachine()
        var last: SimpleQueryMachine.Action?
        for message in messages { last = try machine.receive(message) }
        return last
    }

    @Test func twoStatementsGiveTwoResults() throws {
        let action = try run([
            .rowDescription([Script.column("a")]), Script.row([1]), Script.row([2]), .commandComplete("SELECT 2"),
            .commandComplete("CREATE TABLE"), Script.idle,
        ])
        guard case .finished(let results, let end) = action else {
            Issue.record("not finished: \(String(describing: action))")
            return
        }
        #expect(results.map(\.commandTag) == ["SELECT 2", "CREATE TABLE"])
        #expect(results[0].rows.count == 2)
        #expect(end == ExchangeEnd(status: .idle, error: nil))
    }

    @Test func anErrorIsReportedAtReadyForQuery() throws {
        guard case .finished(let results, let end) = try run([Script.failure, Script.idle]) else {
            Issue.record("not finished")
            return
        }
        #expect(results.isEmpty)
        #expect(end.error?[.sqlState] == "42P01")
    }

    @Test(arguments: [
        ("a DataRow wider than its RowDescription", [BackendMessage.rowDescription([Script.column("a")]), Script.row([1], [2])]),
        ("a DataRow without a RowDescription", [Script.row([1])]),
        ("ReadyForQuery before any result", [Script.idle]),
        ("a message after an error", [Script.failure, .commandComplete("SELECT 1")]),
        ("an authentication request mid-query", [.authentication(.ok)]),
        ("BindComplete in a simple query", [.bindComplete]),
        ("ReadyForQuery twice", [.emptyQueryResponse, Script.idle, Script.idle]),
    ])
    func violations(_ name: String, _ messages: [BackendMessage]) {
        var machine = SimpleQueryMachine()
        let error = Script.violation(&machine, messages) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation, "\(name)")
        #expect(machine.isFinished, "a violation is terminal: \(name)")
    }

    @Test func copyInsideAScriptIsRefusedWithCopyFail() throws {
        var machine = SimpleQueryMachine()
        #expect(try machine.receive(.copyInResponse(CopyResponse(format: .text, columnFormats: [.text]))) == .sendCopyFail)
        #expect(try machine.receive(Script.failure) == .read)
        guard case .finished(_, let end) = try machine.receive(Script.idle) else {
            Issue.record("not finished")
            return
        }
        #expect(end.error != nil)
    }
}

@Suite struct ExtendedQueryMachineTests {
    @Test func aDescribedQueryGivesColumnsRowsAndItsTag() throws {
        var machine = ExtendedQueryMachine(closes: 1, parse: true, known: nil)
        #expect(try machine.receive(.closeComplete).isRead)
        #expect(try machine.receive(.parseComplete).isRead)
        #expect(try machine.receive(.bindComplete).isRead)
        guard case .columns(let columns) = try machine.receive(.rowDescription([Script.column("n")])) else {
            Issue.record("no columns")
            return
        }
        #expect(columns.names == ["n"])
        guard case .row(let row) = try machine.receive(Script.row([0, 0, 0, 7])) else {
            Issue.record("no row")
            return
        }
        #expect(try row.decode(Int32.self, at: 0) == 7)
        #expect(try machine.receive(.commandComplete("SELECT 1")).isRead)
        guard case .finished(let tag, let end) = try machine.receive(Script.idle) else {
            Issue.record("not finished")
            return
        }
        #expect(tag == "SELECT 1" && end.error == nil)
    }

    @Test func knownColumnsSkipTheDescription() throws {
        var machine = ExtendedQueryMachine(closes: 0, parse: false, known: PGColumns([Script.column("n")]))
        guard case .columns = try machine.receive(.bindComplete) else {
            Issue.record("known columns must be reported at BindComplete")
            return
        }
        var empty = ExtendedQueryMachine(closes: 0, parse: false, known: PGColumns([]))
        guard case .noRows = try empty.receive(.bindComplete) else {
            Issue.record("known empty columns mean no rows")
            return
        }
    }

    @Test(arguments: [
        ("rows of another width", [BackendMessage.parseComplete, .bindComplete, .rowDescription([Script.column("a"), Script.column("b")]), Script.row([1])]),
        ("BindComplete before ParseComplete", [.bindComplete]),
        ("a row before the header", [.parseComplete, Script.row([1])]),
        ("ReadyForQuery before any answer", [Script.idle]),
        ("ReadyForQuery before CommandComplete", [.parseComplete, .bindComplete, .noData, Script.idle]),
        ("an unexpected CopyInResponse", [.parseComplete, .bindComplete, .noData, .copyInResponse(CopyResponse(format: .text, columnFormats: []))]),
        ("a message after ReadyForQuery", [.parseComplete, .bindComplete, .noData, .commandComplete("INSERT 0 1"), Script.idle, Script.idle]),
        ("a row after an error", [.parseComplete, Script.failure, Script.row([])]),
    ])
    func violations(_ name: String, _ messages: [BackendMessage]) {
        var machine = ExtendedQueryMachine(closes: 0, parse: true, known: nil)
        let error = Script.violation(&machine, messages) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation, "\(name)")
        #expect(machine.isFinished, "\(name)")
    }
}

extension ExtendedQueryMachine.Action {
    /// True for `.read` (the action is not Equatable: it carries rows).
    var isRead: Bool {
        if case .read = self { return true }
        return false
    }
}

@Suite struct PipelineMachineTests {
    static let three: [PGColumns?] = [nil, nil, nil]

    static func answer(_ value: UInt8) -> [BackendMessage] {
        [.parseComplete, .bindComplete, .rowDescription([Script.column("v")]), Script.row([value]), .commandComplete("SELECT 1")]
    }

    func finish(_ machine: inout PipelineMachine, _ messages: [BackendMessage]) throws -> PipelineMachine.Outcome? {
        for message in messages {
            if case .finished(let outcome) = try machine.receive(message) { return outcome }
        }
        return nil
    }

    @Test func eachStatementWithItsOwnSync() throws {
        var machine = PipelineMachine(known: Self.three, syncEach: true)
        let messages = Self.answer(1) + [Script.idle] + [.parseComplete, Script.failure, Script.idle] + Self.answer(3) + [Script.idle]
        let outcome = try #require(try finish(&machine, messages))
        #expect(outcome.results.count == 3)
        #expect(outcome.failures.keys.sorted() == [1])
    }

    @Test func aBatchFailsTogether() throws {
        var machine = PipelineMachine(known: Self.three, syncEach: false)
        let outcome = try #require(try finish(&machine, Self.answer(1) + [Script.failure, Script.idle]))
        #expect(outcome.failures.count == 3)
    }

    @Test func aBatchAnsweredShortIsAViolation() {
        var machine = PipelineMachine(known: Self.three, syncEach: false)
        let error = Script.violation(&machine, Self.answer(1) + [Script.idle]) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("1 of the 3") == true)
    }

    @Test func moreResultsThanStatementsIsAViolation() {
        var machine = PipelineMachine(known: [nil], syncEach: false)
        let error = Script.violation(&machine, Self.answer(1) + Self.answer(2)) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func aSecondDescriptionAfterRowsIsAViolation() {
        // Found by FuzzFlowMachines: rows of one width must not end under columns of another.
        var machine = PipelineMachine(known: [nil], syncEach: true)
        let messages: [BackendMessage] = [
            .parseComplete, .bindComplete, .rowDescription([Script.column("a")]), Script.row([1]),
            .rowDescription([Script.column("a"), Script.column("b")]),
        ]
        let error = Script.violation(&machine, messages) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func aSyncWithoutItsStatementsAnswerIsAViolation() {
        var machine = PipelineMachine(known: Self.three, syncEach: true)
        let error = Script.violation(&machine, Self.answer(1) + [Script.idle, Script.idle]) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation)
        #expect(machine.isFinished)
    }
}

@Suite struct CopyMachineTests {
    static let copyIn = BackendMessage.copyInResponse(CopyResponse(format: .binary, columnFormats: [.binary]))
    static let copyOut = BackendMessage.copyOutResponse(CopyResponse(format: .text, columnFormats: [.text]))

    @Test func copyInEndsWithItsTag() throws {
        var machine = CopyInMachine()
        guard case .startCopy = try machine.receive(Self.copyIn) else {
            Issue.record("no start")
            return
        }
        machine.copyEnded()
        #expect(try machine.receive(.commandComplete("COPY 3")) == .read)
        #expect(try machine.receive(Script.idle) == .finished(commandTag: "COPY 3", ExchangeEnd(status: .idle, error: nil)))
    }

    @Test func anErrorDuringCopyInStopsTheCopy() throws {
        var machine = CopyInMachine()
        _ = try machine.receive(Self.copyIn)
        #expect(try machine.receive(Script.failure) == .read)
        #expect(machine.serverError?[.sqlState] == "42P01")
        guard case .finished(_, let end) = try machine.receive(Script.idle) else {
            Issue.record("not finished")
            return
        }
        #expect(end.error?[.sqlState] == "42P01")
    }

    @Test func rowsDuringCopyInAreAViolation() throws {
        var machine = CopyInMachine()
        _ = try machine.receive(Self.copyIn)
        let error = Script.violation(&machine, [Script.row([1])]) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func copyOutDeliversDataThenItsTag() throws {
        var machine = CopyOutMachine()
        #expect(try machine.receive(Self.copyOut) == .started)
        #expect(try machine.receive(.copyData([1, 2])) == .data([1, 2]))
        #expect(try machine.receive(.copyDone) == .read)
        #expect(try machine.receive(.commandComplete("COPY 1")) == .read)
        #expect(try machine.receive(Script.idle) == .finished(commandTag: "COPY 1", ExchangeEnd(status: .idle, error: nil)))
    }

    @Test(arguments: [
        ("data before CopyOutResponse", [BackendMessage.copyData([1])]),
        ("ReadyForQuery right after CopyDone", [copyOut, .copyDone, Script.idle]),
        ("CopyData after CopyDone", [copyOut, .copyDone, .copyData([1])]),
        ("a second CopyOutResponse", [copyOut, copyOut]),
    ])
    func copyOutViolations(_ name: String, _ messages: [BackendMessage]) {
        var machine = CopyOutMachine()
        let error = Script.violation(&machine, messages) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation, "\(name)")
    }
}

@Suite struct StartupMachineTests {
    static func machine(_ requirement: PGConnection.Configuration.AuthenticationRequirement = .any) -> StartupMachine {
        StartupMachine(authentication: AuthenticationFlow(user: "u", password: "pw", requirement: requirement))
    }

    @Test func trustThenKeyThenReady() throws {
        var machine = Self.machine()
        #expect(try machine.receive(.authentication(.ok)) == .read)
        #expect(try machine.receive(.backendKeyData(PGBackendKeyData(processID: 7, secretKey: [1, 2, 3, 4]))) == .read)
        #expect(try machine.receive(Script.idle) == .ready(.idle))
        #expect(machine.backendKeyData?.processID == 7)
    }

    @Test(arguments: [
        ("ReadyForQuery before authentication", [BackendMessage.readyForQuery(.idle)]),
        ("BackendKeyData before authentication", [.backendKeyData(PGBackendKeyData(processID: 1, secretKey: [0, 0, 0, 0]))]),
        ("BackendKeyData twice", [.authentication(.ok), .backendKeyData(PGBackendKeyData(processID: 1, secretKey: [0, 0, 0, 0])),
            .backendKeyData(PGBackendKeyData(processID: 1, secretKey: [0, 0, 0, 0]))]),
        ("a second AuthenticationOk", [.authentication(.ok), .authentication(.ok)]),
        ("a row during startup", [.authentication(.ok), Script.row([1])]),
        ("a message after ReadyForQuery", [.authentication(.ok), .readyForQuery(.idle), .readyForQuery(.idle)]),
    ])
    func violations(_ name: String, _ messages: [BackendMessage]) {
        var machine = Self.machine()
        let error = Script.violation(&machine, messages) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation, "\(name)")
        #expect(machine.isFinished, "\(name)")
    }

    @Test func aServerErrorDuringStartupIsTheServers() {
        var machine = Self.machine()
        let error = Script.violation(&machine, [Script.failure]) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .server)
    }

    @Test func requireAuthStopsACleartextRequestBeforeAnyPasswordGoesOut() {
        var machine = Self.machine(.init(allowed: [.scramSHA256]))
        let error = Script.violation(&machine, [.authentication(.cleartextPassword)]) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .authentication)
    }
}

@Suite struct PrepareAndDrainMachineTests {
    @Test func prepareDescribesParametersAndColumns() throws {
        var machine = PrepareMachine()
        for message in [BackendMessage.parseComplete, .parameterDescription([23, 25]), .rowDescription([Script.column("a")])] {
            #expect(try machine.receive(message) == .read)
        }
        guard case .finished(let types, let columns, let end) = try machine.receive(Script.idle) else {
            Issue.record("not finished")
            return
        }
        #expect(types == [.int4, .text])
        #expect(columns.map(\.name) == ["a"])
        #expect(end.error == nil)
    }

    @Test func prepareRefusesReadyForQueryBeforeTheDescription() {
        var machine = PrepareMachine()
        let error = Script.violation(&machine, [.parseComplete, Script.idle]) { machine, message in _ = try machine.receive(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func drainKeepsTheTagAndTheFirstError() throws {
        var machine = DrainMachine()
        for message in [Script.row([1]), .commandComplete("SELECT 9"), Script.failure] {
            #expect(try machine.receive(message) == .read)
        }
        guard case .finished(let tag, let end) = try machine.receive(Script.idle) else {
            Issue.record("not finished")
            return
        }
        #expect(tag == "SELECT 9")
        #expect(end.error?[.sqlState] == "42P01")
    }
}

@Suite struct ListeningMachineTests {
    @Test func theLastListenerLeavingAsksForUnlistenOnlyOnceTheServerListens() {
        var machine = ListeningMachine()
        machine.listenerAdded("orders")
        machine.listenerAdded("orders")
        #expect(machine.pendingCommand(for: "orders") == true)
        machine.confirm("orders", listening: true)
        #expect(machine.pendingCommand(for: "orders") == nil)
        machine.listenerRemoved("orders")
        #expect(machine.pendingCommand(for: "orders") == nil)  // one listener is left
        machine.listenerRemoved("orders")
        #expect(machine.pendingCommand(for: "orders") == false)
        machine.confirm("orders", listening: false)
        #expect(machine.pendingCommand(for: "orders") == nil)
    }

    @Test func aListenerArrivingBeforeTheUnlistenIsConfirmedGetsItsListen() {
        var machine = ListeningMachine()
        machine.listenerAdded("c")
        machine.confirm("c", listening: true)
        machine.listenerRemoved("c")
        #expect(machine.pendingCommand(for: "c") == false)
        machine.listenerAdded("c")  // arrives while UNLISTEN is on its way
        machine.confirm("c", listening: false)
        #expect(machine.pendingCommand(for: "c") == true)
    }

    @Test func anythingButAsynchronousMessagesWhileIdleIsAViolation() {
        #expect(ListeningMachine.idle(.readyForQuery(.idle)).code == .protocolViolation)
        #expect(ListeningMachine.idle(Script.row([1])).message.contains("DataRow"))
    }
}
