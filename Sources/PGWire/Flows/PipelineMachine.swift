/// The answers to a pipeline of statements, in order: each statement's optional header, rows
/// and completion; with `syncEach`, a ReadyForQuery after each statement, else one at the end
/// (after an error the server skips the rest up to it).
///
/// Checks that the answers match the statements sent: never more results than statements,
/// never a ReadyForQuery that leaves a statement unanswered.
struct PipelineMachine: FlowMachine {
    enum Action {
        case read
        /// Every statement is answered.
        case finished(Outcome)
    }

    struct Outcome {
        /// A result per statement (empty for a failed one).
        var results: [PGQueryResult] = []
        /// The server errors, by statement index.
        var failures: [Int: [PGServerField: String]] = [:]
        var status = PGTransactionStatus.idle
    }

    /// Per statement: its columns when its portal was not described.
    private let known: [PGColumns?]
    private let syncEach: Bool
    private var outcome = Outcome()
    private var columns: PGColumns
    private var rows: [PGRow] = []
    /// Whether the statement being read has its result already (awaiting its ReadyForQuery).
    private var currentAnswered = false
    /// Whether the statement being read was described (RowDescription or NoData): at most
    /// once, and before its rows, or rows of one width would end under columns of another.
    private var currentDescribed = false
    private(set) var isFinished = false

    init(known: [PGColumns?], syncEach: Bool) {
        self.known = known
        self.syncEach = syncEach
        self.columns = known.first.flatMap { $0 } ?? .empty
        outcome.results.reserveCapacity(known.count)
        isFinished = known.isEmpty
    }

    mutating func end() { isFinished = true }

    private var count: Int { known.count }
    /// True once an error ended a single-Sync batch: only ReadyForQuery may follow.
    private var batchFailed: Bool { !syncEach && !outcome.failures.isEmpty }

    mutating func step(_ message: BackendMessage) throws -> Action {
        if case .readyForQuery(let status) = message { return try ready(status) }
        guard !batchFailed else { throw protocolViolation(message, "after an error in a batch") }
        guard outcome.results.count < count, !(syncEach && currentAnswered) else {
            throw PGError(
                .protocolViolation,
                "the server sent \(message.kindName) beyond the answers to the \(count) statements of the pipeline")
        }
        switch message {
        case .parseComplete, .bindComplete, .closeComplete, .portalSuspended:
            break
        case .rowDescription, .noData:
            guard !currentDescribed, rows.isEmpty else {
                throw protocolViolation(message, "after statement \(outcome.results.count + 1)'s description or rows")
            }
            currentDescribed = true
            if case .rowDescription(let descriptions) = message { columns = PGColumns(descriptions) } else { columns = .empty }
        case .dataRow(let data):
            rows.append(try checkedRow(data, columns))
        case .commandComplete(let tag):
            finish(PGQueryResult(columns: columns, rows: rows, commandTag: tag))
        case .emptyQueryResponse:
            finish(PGQueryResult(columns: columns, rows: [], commandTag: ""))
        case .errorResponse(let fields):
            outcome.failures[outcome.results.count] = fields
            finish(PGQueryResult(columns: .empty, rows: [], commandTag: ""))
        default:
            throw protocolViolation(message, "in a pipeline result")
        }
        return .read
    }

    private mutating func finish(_ result: PGQueryResult) {
        outcome.results.append(result)
        rows = []
        currentAnswered = true
        currentDescribed = false
        if outcome.results.count < count { columns = known[outcome.results.count] ?? .empty }
    }

    private mutating func ready(_ status: PGTransactionStatus) throws -> Action {
        outcome.status = status
        if syncEach {
            guard currentAnswered else {
                throw PGError(
                    .protocolViolation,
                    "the server sent ReadyForQuery before answering statement \(outcome.results.count + 1) of \(count)")
            }
            currentAnswered = false
            guard outcome.results.count == count else { return .read }
        } else if let fields = outcome.failures.min(by: { $0.key < $1.key })?.value {
            // One transaction: after an error every statement failed or never ran.
            outcome.results = Array(repeating: PGQueryResult(columns: .empty, rows: [], commandTag: ""), count: count)
            outcome.failures = Dictionary(uniqueKeysWithValues: (0..<count).map { ($0, fields) })
        } else if outcome.results.count != count {
            throw PGError(
                .protocolViolation,
                "the server answered \(outcome.results.count) of the \(count) statements of a batch before ReadyForQuery")
        }
        isFinished = true
        return .finished(outcome)
    }
}
