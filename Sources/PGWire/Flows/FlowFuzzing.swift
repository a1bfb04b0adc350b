/// An entry point for fuzzers: drives one protocol flow's state machine with an arbitrary
/// sequence of backend messages and checks what must hold whatever the server sends.
///
/// Import with `@_spi(Fuzzing) import PGWire`. Invariants, for every machine:
/// - no input traps; an error thrown is a normal outcome, and it leaves the machine finished,
///   refusing every later message;
/// - a finishing action (ReadyForQuery) happens at most once and leaves the machine finished;
/// - from any state, ErrorResponse and ReadyForQuery repeated a bounded number of times reach
///   a finished state: no flow can be held open forever by a server that ends it properly;
/// - per flow: a query's header comes once and before its rows; a pipeline finishes with one
///   result per statement; a COPY starts once, before its data.
@_spi(Fuzzing)
public enum PGFlowFuzzing {
    /// Input layout: byte 0 picks the flow, byte 1 its parameters (statement count, known
    /// columns, one Sync or one per statement), then two bytes per message (kind, detail).
    /// Returns nil when every invariant held, else a description of the one that broke.
    public static func run(_ input: [UInt8]) -> String? {
        guard input.count >= 2 else { return nil }
        var flow = Self.flow(input[0], input[1])
        var index = 2
        while index + 1 < input.count, !flow.finished {
            if let broken = flow.feed(message(input[index], input[index + 1])) { return broken }
            index += 2
        }
        // A server that ends the exchange properly ends every flow.
        for _ in 0..<(flow.bound + 2) where !flow.finished {
            for message in [BackendMessage.errorResponse([.severity: "ERROR", .sqlState: "XX000", .message: "end"]), .readyForQuery(.idle)] {
                if flow.finished { break }
                if let broken = flow.feed(message) { return broken }
            }
        }
        return flow.finished ? nil : "\(flow.name) did not finish after ErrorResponse and ReadyForQuery"
    }

    /// The number of flows ``run(_:)`` chooses from.
    public static let flowCount = 8

    /// One machine behind a uniform face: `feed` returns a broken invariant or nil.
    private struct Flow {
        let name: String
        /// How many ErrorResponse/ReadyForQuery rounds may be needed to finish (a pipeline's
        /// statement count).
        let bound: Int
        var finished = false
        let step: (BackendMessage) throws -> Step
        let isFinished: () -> Bool

        enum Step {
            case read
            case finished
            /// A per-flow invariant broke.
            case broken(String)
        }

        mutating func feed(_ message: BackendMessage) -> String? {
            do {
                switch try step(message) {
                case .read:
                    return nil
                case .finished:
                    finished = true
                    return isFinished() ? refuses(message) : "\(name) finished but does not say so"
                case .broken(let what):
                    return "\(name): \(what)"
                }
            } catch {
                finished = true
                return isFinished() ? refuses(message) : "\(name) threw \(error) but is not finished"
            }
        }

        /// After its end, a machine must refuse anything more.
        private func refuses(_ message: BackendMessage) -> String? {
            do {
                _ = try step(message)
                return "\(name) accepted \(message.kindName) after its end"
            } catch {
                return nil
            }
        }
    }

    private final class Box<Machine> {
        var machine: Machine
        init(_ machine: Machine) { self.machine = machine }
    }

    private static func flow(_ selector: UInt8, _ parameters: UInt8) -> Flow {
        let count = Int(parameters & 0x03) + 1
        let known = parameters & 0x04 != 0 ? PGColumns((0..<Int(parameters >> 3 & 0x03)).map { column("c\($0)") }) : nil
        switch Int(selector) % flowCount {
        case 0:
            let box = Box(SimpleQueryMachine())
            return Flow(name: "simple query", bound: 1, step: { message in
                if case .finished = try box.machine.receive(message) { return .finished }
                return .read
            }, isFinished: { box.machine.isFinished })
        case 1:
            let box = Box(ExtendedQueryMachine(closes: Int(parameters >> 5 & 0x03), parse: parameters & 0x80 != 0, known: known))
            var header = false
            var rows = false
            return Flow(name: "extended query", bound: 1, step: { message in
                switch try box.machine.receive(message) {
                case .read: return .read
                case .columns, .noRows:
                    if header || rows { return .broken("a second header, or a header after rows") }
                    header = true
                    return .read
                case .row(let row):
                    if !header { return .broken("a row before the header") }
                    if row.count != row.columns.count { return .broken("a row of \(row.count) values for \(row.columns.count) columns") }
                    rows = true
                    return .read
                case .finished: return .finished
                }
            }, isFinished: { box.machine.isFinished })
        case 2, 3:
            let syncEach = Int(selector) % flowCount == 2
            let box = Box(PipelineMachine(known: Array(repeating: known, count: count), syncEach: syncEach))
            return Flow(name: syncEach ? "pipeline" : "batch", bound: count, step: { message in
                switch try box.machine.receive(message) {
                case .read: return .read
                case .finished(let outcome):
                    if outcome.results.count != count { return .broken("\(outcome.results.count) results for \(count) statements") }
                    if outcome.failures.keys.contains(where: { !(0..<count).contains($0) }) { return .broken("a failure outside the statements") }
                    for result in outcome.results where result.rows.contains(where: { $0.count != result.columns.count }) {
                        return .broken("a row of another width than its columns")
                    }
                    return .finished
                }
            }, isFinished: { box.machine.isFinished })
        case 4:
            let box = Box(CopyInMachine())
            var started = false
            return Flow(name: "COPY in", bound: 1, step: { message in
                switch try box.machine.receive(message) {
                case .read: return .read
                case .startCopy:
                    if started { return .broken("a second CopyInResponse was accepted") }
                    started = true
                    // The client sends its data and CopyDone at once here.
                    if parameters & 0x80 != 0 { box.machine.copyEnded() }
                    return .read
                case .finished: return .finished
                }
            }, isFinished: { box.machine.isFinished })
        case 5:
            let box = Box(CopyOutMachine())
            var started = false
            return Flow(name: "COPY out", bound: 1, step: { message in
                switch try box.machine.receive(message) {
                case .read: return .read
                case .started:
                    if started { return .broken("a second CopyOutResponse was accepted") }
                    started = true
                    return .read
                case .data:
                    return started ? .read : .broken("data before CopyOutResponse")
                case .finished: return .finished
                }
            }, isFinished: { box.machine.isFinished })
        case 6:
            let box = Box(PrepareMachine())
            return Flow(name: "prepare", bound: 1, step: { message in
                if case .finished = try box.machine.receive(message) { return .finished }
                return .read
            }, isFinished: { box.machine.isFinished })
        default:
            let requirement: PGConnection.Configuration.AuthenticationRequirement =
                parameters & 0x01 != 0 ? .init(allowed: [.scramSHA256]) : .any
            let box = Box(StartupMachine(authentication: AuthenticationFlow(
                user: "u", password: parameters & 0x02 != 0 ? nil : "pw", scramNonce: "fuzznonce",
                requirement: requirement, maxSCRAMIterations: 4096)))
            return Flow(name: "startup", bound: 1, step: { message in
                switch try box.machine.receive(message) {
                case .read, .respond: return .read
                case .ready: return .finished
                }
            }, isFinished: { box.machine.isFinished })
        }
    }

    private static func column(_ name: String) -> PGColumnDescription {
        PGColumnDescription(
            name: name, tableOID: 0, columnAttributeNumber: 0, dataTypeOID: 23, dataTypeSize: 4, typeModifier: -1,
            format: .binary)
    }

    /// A plausible backend message from two bytes: the kind, and a detail (a column count, a
    /// status, an authentication request).
    private static func message(_ kind: UInt8, _ detail: UInt8) -> BackendMessage {
        let small = Int(detail & 0x03)
        switch kind % 22 {
        case 0: return .readyForQuery([PGTransactionStatus.idle, .inTransaction, .failed][Int(detail) % 3])
        case 1: return .dataRow(DataRow(columns: (0..<small).map { _ in [0, 0, 0, detail] }))
        case 2: return .rowDescription((0..<small).map { column("c\($0)") })
        case 3: return .commandComplete(detail & 0x80 != 0 ? "COPY \(detail)" : "SELECT \(small)")
        case 4: return .emptyQueryResponse
        case 5: return .errorResponse([.severity: detail & 0x80 != 0 ? "FATAL" : "ERROR", .sqlState: "42000", .message: "x"])
        case 6: return .parseComplete
        case 7: return .bindComplete
        case 8: return .closeComplete
        case 9: return .noData
        case 10: return .portalSuspended
        case 11: return .parameterDescription((0..<small).map { _ in 23 })
        case 12: return .copyInResponse(CopyResponse(format: .text, columnFormats: []))
        case 13: return .copyOutResponse(CopyResponse(format: .text, columnFormats: []))
        case 14: return .copyBothResponse(CopyResponse(format: .text, columnFormats: []))
        case 15: return .copyData([detail])
        case 16: return .copyDone
        case 17:
            let requests: [AuthenticationRequest] = [
                .ok, .cleartextPassword, .md5Password(salt: (1, 2, 3, 4)), .sasl(mechanisms: ["SCRAM-SHA-256"]),
                .saslContinue(Array("r=fuzznonceXY,s=QSXCR+Q6sek8bf92,i=4096".utf8)), .saslFinal(Array("v=AAAA".utf8)),
                .gss, .sspi, .kerberosV5, .sasl(mechanisms: ["OTHER"]),
            ]
            return .authentication(requests[Int(detail) % requests.count])
        case 18: return .backendKeyData(PGBackendKeyData(processID: Int32(detail), secretKey: [1, 2, 3, 4]))
        case 19: return .negotiateProtocolVersion(PGProtocolNegotiation(newestMinorVersion: 0, unrecognizedOptions: []))
        case 20: return .functionCallResponse(detail & 1 == 0 ? nil : [detail])
        default: return .parameterStatus(name: "p\(detail)", value: "v")
        }
    }
}
