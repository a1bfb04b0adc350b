/// One simple-protocol Query: results of every statement in the string, in text format, up to
/// ReadyForQuery. A COPY FROM STDIN inside the string is refused with CopyFail; COPY TO STDOUT
/// data is skipped.
struct SimpleQueryMachine: FlowMachine {
    enum Action: Equatable {
        case read
        /// The server wants COPY data: send CopyFail.
        case sendCopyFail
        /// ReadyForQuery: the results, and the error if a statement failed.
        case finished([SimpleQueryResult], ExchangeEnd)
    }

    private enum State {
        /// Between statements (or before the first).
        case betweenResults
        /// Rows of a statement whose RowDescription came.
        case rows(columns: [PGColumnDescription])
        /// COPY TO STDOUT data being skipped.
        case copyOut
        /// CopyFail sent: the server's error comes next.
        case copyFailing
        /// An error came: only ReadyForQuery may follow.
        case failed([PGServerField: String])
        case finished
    }

    private var state = State.betweenResults
    private var rows: [DataRow] = []
    private var results: [SimpleQueryResult] = []
    private var answered = false

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    mutating func end() { state = .finished }

    mutating func step(_ message: BackendMessage) throws -> Action {
        defer { answered = true }
        switch (state, message) {
        case (.betweenResults, .rowDescription(let columns)):
            state = .rows(columns: columns)
            rows = []
        case (.betweenResults, .commandComplete(let tag)):
            results.append(SimpleQueryResult(columns: [], rows: [], commandTag: tag))
        case (.betweenResults, .emptyQueryResponse):
            results.append(SimpleQueryResult(columns: [], rows: [], commandTag: ""))
        case (.betweenResults, .copyInResponse):
            state = .copyFailing
            return .sendCopyFail
        case (.betweenResults, .copyOutResponse):
            state = .copyOut
        case (.rows(let columns), .dataRow(let row)):
            rows.append(try checkedRow(row, columnCount: columns.count))
        case (.rows(let columns), .commandComplete(let tag)):
            results.append(SimpleQueryResult(columns: columns, rows: rows, commandTag: tag))
            rows = []
            state = .betweenResults
        case (.copyOut, .copyData), (.copyOut, .copyDone):
            break
        case (.copyOut, .commandComplete(let tag)):
            results.append(SimpleQueryResult(columns: [], rows: [], commandTag: tag))
            state = .betweenResults
        case (.betweenResults, .errorResponse(let fields)), (.rows, .errorResponse(let fields)),
            (.copyOut, .errorResponse(let fields)), (.copyFailing, .errorResponse(let fields)):
            state = .failed(fields)
        case (.betweenResults, .readyForQuery(let status)):
            guard answered else { throw protocolViolation(message, "before any result of a simple query") }
            state = .finished
            return .finished(results, ExchangeEnd(status: status, error: nil))
        case (.failed(let fields), .readyForQuery(let status)):
            state = .finished
            return .finished([], ExchangeEnd(status: status, error: fields))
        default:
            throw protocolViolation(message, "in a simple query result")
        }
        return .read
    }
}
