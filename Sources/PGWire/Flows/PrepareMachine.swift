/// The answer to Parse + Describe(statement) + Sync: ParseComplete, ParameterDescription,
/// RowDescription or NoData, ReadyForQuery.
struct PrepareMachine: FlowMachine {
    enum Action: Equatable {
        case read
        case finished(parameterTypes: [PGDataType], columns: [PGColumnDescription], ExchangeEnd)
    }

    private enum State {
        case parsing
        case describingParameters
        case describingColumns([UInt32])
        case described([UInt32], [PGColumnDescription])
        case failed([PGServerField: String])
        case finished
    }

    private var state = State.parsing

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    mutating func end() { state = .finished }

    mutating func step(_ message: BackendMessage) throws -> Action {
        switch (state, message) {
        case (.parsing, .parseComplete):
            state = .describingParameters
        case (.describingParameters, .parameterDescription(let oids)):
            state = .describingColumns(oids)
        case (.describingColumns(let oids), .rowDescription(let columns)):
            state = .described(oids, columns)
        case (.describingColumns(let oids), .noData):
            state = .described(oids, [])
        case (.parsing, .errorResponse(let fields)), (.describingParameters, .errorResponse(let fields)),
            (.describingColumns, .errorResponse(let fields)):
            state = .failed(fields)
        case (.described(let oids, let columns), .readyForQuery(let status)):
            state = .finished
            return .finished(
                parameterTypes: oids.map { PGDataType(rawValue: $0) }, columns: columns,
                ExchangeEnd(status: status, error: nil))
        case (.failed(let fields), .readyForQuery(let status)):
            state = .finished
            return .finished(parameterTypes: [], columns: [], ExchangeEnd(status: status, error: fields))
        default:
            throw protocolViolation(message, "while preparing a statement")
        }
        return .read
    }
}

/// Reads an exchange whose results nobody wants up to its ReadyForQuery (the rest of a
/// dropped row sequence, a Close's answer): everything is allowed but what can only come
/// outside an exchange.
struct DrainMachine: FlowMachine {
    enum Action: Equatable {
        case read
        case finished(commandTag: String?, ExchangeEnd)
    }

    private var commandTag: String?
    private var error: [PGServerField: String]?
    private(set) var isFinished = false

    mutating func end() { isFinished = true }

    mutating func step(_ message: BackendMessage) throws -> Action {
        switch message {
        case .commandComplete(let tag):
            commandTag = tag
        case .errorResponse(let fields):
            if error == nil { error = fields }
        case .readyForQuery(let status):
            isFinished = true
            return .finished(commandTag: commandTag, ExchangeEnd(status: status, error: error))
        case .authentication, .backendKeyData, .negotiateProtocolVersion:
            throw protocolViolation(message, "inside a query's answer")
        default:
            break
        }
        return .read
    }
}
