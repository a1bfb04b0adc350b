/// One statement execution of the extended protocol, sent as [Close...] [Parse] Bind
/// [Describe] Execute Sync: the header messages in order, then rows, then ReadyForQuery.
///
/// The rows of a statement whose columns the caller already knows (a cached or prepared
/// statement, not described) follow BindComplete directly.
struct ExtendedQueryMachine: FlowMachine {
    enum Action {
        case read
        /// The header is complete: these are the result's columns; rows may follow.
        case columns(PGColumns)
        /// The header is complete and the statement returns no rows (NoData, or known to have
        /// no columns): only its completion follows.
        case noRows
        case row(PGRow)
        /// ReadyForQuery: the command tag and how the exchange ended.
        case finished(commandTag: String?, ExchangeEnd)
    }

    private enum State {
        /// Waiting for `closes` CloseCompletes, then ParseComplete (if `parse`), BindComplete.
        case header(closes: Int, parse: Bool)
        /// BindComplete came; RowDescription or NoData comes next.
        case describing
        case rows(PGColumns)
        /// CommandComplete, EmptyQueryResponse or PortalSuspended came; ReadyForQuery next.
        case completed(commandTag: String?)
        case failed([PGServerField: String])
        case finished
    }

    private var state: State
    /// The result columns when they are not described.
    private let known: PGColumns?

    /// - Parameters:
    ///   - closes: statements closed ahead of this one in the same message batch.
    ///   - parse: whether a Parse was sent.
    ///   - known: the result columns when no Describe was sent.
    init(closes: Int, parse: Bool, known: PGColumns?) {
        self.state = .header(closes: closes, parse: parse)
        self.known = known
    }

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    mutating func end() { state = .finished }

    mutating func step(_ message: BackendMessage) throws -> Action {
        switch (state, message) {
        case (.header(let closes, let parse), .closeComplete) where closes > 0:
            state = .header(closes: closes - 1, parse: parse)
        case (.header(0, true), .parseComplete):
            state = .header(closes: 0, parse: false)
        case (.header(0, false), .bindComplete):
            guard let known else {
                state = .describing
                return .read
            }
            state = .rows(known)
            return known.count == 0 ? .noRows : .columns(known)
        case (.describing, .rowDescription(let descriptions)):
            let columns = PGColumns(descriptions)
            state = .rows(columns)
            return .columns(columns)
        case (.describing, .noData):
            state = .rows(.empty)
            return .noRows
        case (.rows(let columns), .dataRow(let data)):
            return .row(try checkedRow(data, columns))
        case (.rows, .commandComplete(let tag)):
            state = .completed(commandTag: tag)
        case (.rows, .emptyQueryResponse):
            state = .completed(commandTag: "")
        case (.rows, .portalSuspended):
            state = .completed(commandTag: nil)
        case (.header, .errorResponse(let fields)), (.describing, .errorResponse(let fields)),
            (.rows, .errorResponse(let fields)):
            state = .failed(fields)
        case (.completed(let tag), .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: tag, ExchangeEnd(status: status, error: nil))
        case (.failed(let fields), .readyForQuery(let status)):
            state = .finished
            return .finished(commandTag: nil, ExchangeEnd(status: status, error: fields))
        case (.rows, .copyInResponse), (.rows, .copyOutResponse), (.rows, .copyBothResponse):
            // Pipelined requests may follow this one on the wire, and in copy mode the server
            // would read them as copy data: the session cannot be brought back in step.
            throw PGError(
                .protocolViolation,
                "the statement started COPY through the extended protocol; run COPY with copyIn(sql:format:_:) or copyOut(_:)")
        default:
            throw protocolViolation(message, "in the answer to a query")
        }
        return .read
    }
}
