/// The answer to a `COPY ... FROM STDIN` sent as a simple Query: CopyInResponse, then silence
/// while the client sends data (the server speaks only to report an error), then after
/// CopyDone or CopyFail the command's end and ReadyForQuery.
struct CopyInMachine: FlowMachine {
    enum Action: Equatable {
        case read
        /// The server is ready for data.
        case startCopy(CopyResponse)
        /// ReadyForQuery: the tag, and the error that ended the copy if any.
        case finished(commandTag: String?, ExchangeEnd)
    }

    private enum State {
        /// Before CopyInResponse; statements ahead of the COPY in the same string may answer.
        case starting
        /// The client is sending data.
        case copying
        /// CopyDone or CopyFail went out.
        case ending(commandTag: String?)
        case failed([PGServerField: String])
        /// The statement was not a COPY FROM STDIN.
        case notACopy
        case finished
    }

    private var state = State.starting

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// True while the server has reported an error and the copy must stop.
    var serverError: [PGServerField: String]? {
        if case .failed(let fields) = state { return fields }
        return nil
    }

    /// The client sent CopyDone (or CopyFail): the end of the command comes next.
    mutating func copyEnded() {
        if case .copying = state { state = .ending(commandTag: nil) }
    }

    mutating func end() { state = .finished }

    mutating func step(_ message: BackendMessage) throws -> Action {
        switch (state, message) {
        case (.starting, .copyInResponse(let response)):
            state = .copying
            return .startCopy(response)
        case (.starting, .commandComplete), (.starting, .rowDescription), (.starting, .dataRow),
            (.starting, .emptyQueryResponse):
            break
        case (.starting, .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: nil, ExchangeEnd(status: status, error: nil))
        case (.ending, .commandComplete(let tag)):
            state = .ending(commandTag: tag)
        case (.starting, .errorResponse(let fields)), (.copying, .errorResponse(let fields)),
            (.ending, .errorResponse(let fields)):
            state = .failed(fields)
        case (.ending(let tag), .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: tag, ExchangeEnd(status: status, error: nil))
        case (.failed(let fields), .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: nil, ExchangeEnd(status: status, error: fields))
        default:
            throw protocolViolation(message, "during COPY FROM STDIN")
        }
        return .read
    }
}

/// The answer to a `COPY ... TO STDOUT` sent as a simple Query: CopyOutResponse, CopyData
/// chunks, CopyDone, CommandComplete, ReadyForQuery; an ErrorResponse may end it anywhere.
struct CopyOutMachine: FlowMachine {
    enum Action: Equatable {
        case read
        /// The copy began.
        case started
        case data([UInt8])
        case finished(commandTag: String?, ExchangeEnd)
    }

    private enum State {
        case starting
        case copying
        /// CopyDone came; CommandComplete and ReadyForQuery follow.
        case ending(commandTag: String?)
        case failed([PGServerField: String])
        case finished
    }

    private var state = State.starting

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    mutating func end() { state = .finished }

    mutating func step(_ message: BackendMessage) throws -> Action {
        switch (state, message) {
        case (.starting, .copyOutResponse):
            state = .copying
            return .started
        case (.starting, .commandComplete), (.starting, .rowDescription), (.starting, .dataRow),
            (.starting, .emptyQueryResponse):
            break
        case (.starting, .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: nil, ExchangeEnd(status: status, error: nil))
        case (.copying, .copyData(let bytes)):
            return .data(bytes)
        case (.copying, .copyDone):
            state = .ending(commandTag: nil)
        case (.ending(nil), .commandComplete(let tag)):
            state = .ending(commandTag: tag)
        case (.starting, .errorResponse(let fields)), (.copying, .errorResponse(let fields)),
            (.ending, .errorResponse(let fields)):
            state = .failed(fields)
        case (.ending(let tag?), .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: tag, ExchangeEnd(status: status, error: nil))
        case (.failed(let fields), .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: nil, ExchangeEnd(status: status, error: fields))
        default:
            throw protocolViolation(message, "during COPY TO STDOUT")
        }
        return .read
    }
}
