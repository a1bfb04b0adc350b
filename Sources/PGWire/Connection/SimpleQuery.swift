import Logging
import Synchronization

/// The result of one statement run through the simple query protocol.
public struct SimpleQueryResult: Sendable, Equatable {
    /// The columns, empty for statements that return no rows.
    public let columns: PGColumns
    /// The rows, in text format: read them with ``PGRow/text(at:)`` or ``PGRow/decode(_:at:)``.
    public let rows: [PGRow]
    /// The command tag, for example `SELECT 2`, `INSERT 0 1` or `CREATE TABLE`; empty for an
    /// empty statement.
    public let commandTag: String

    init(columns: [PGColumnDescription], rows: [DataRow], commandTag: String) {
        let shared = columns.isEmpty ? PGColumns.empty : PGColumns(columns)
        self.columns = shared
        self.rows = rows.map { PGRow(columns: shared, data: $0) }
        self.commandTag = commandTag
    }

    /// The row count at the end of the command tag (`INSERT 0 5` → 5, `SELECT 2` → 2), if any.
    public var affectedRows: Int? {
        guard let last = commandTag.split(separator: " ").last, commandTag.contains(" ") else { return nil }
        return Int(last)
    }

    /// The index of the column named `name`, if any.
    public func columnIndex(_ name: String) -> Int? {
        columns.index(of: name)
    }
}

extension PGConnection {
    /// Runs `sql` through the simple query protocol: one or several statements separated by
    /// semicolons, results in text format, one ``SimpleQueryResult`` per statement.
    ///
    /// Use it for scripts and migrations; queries with parameters belong in the extended
    /// protocol. When a statement fails, the server skips the rest of the string and this
    /// throws the server's error (``PGError/Code/server``); the connection stays usable.
    public func simpleQuery(_ sql: String) async throws -> [SimpleQueryResult] {
        try await simpleQuery(sql, cancellable: true)
    }

    /// `closeAfter` bounds a statement that must not be cancelled: past it the connection is
    /// closed instead (see ``WaitBudget/Purpose/closeAfter(_:)``).
    func simpleQuery(_ sql: String, cancellable: Bool, closeAfter limit: Duration? = nil) async throws -> [SimpleQueryResult] {
        let budget = limit.map { WaitBudget(purpose: .closeAfter($0), grace: configuration.cancelGrace, now: .now) }
        // Exclusive, not pipelined: a script may contain COPY FROM STDIN, and anything sent
        // behind it would arrive while the server expects copy data.
        return try await exclusive(cancellable: cancellable, budget: budget) { io in
            io.encoder.reset()
            try io.encoder.query(sql)
            try await io.flush()
            var machine = SimpleQueryMachine()
            while true {
                switch try machine.receive(try await receive(io)) {
                case .read:
                    continue
                case .sendCopyFail:
                    // A script may contain COPY ... FROM STDIN; there is no data to give here.
                    try io.encoder.copyFail("COPY FROM STDIN is not supported by simpleQuery; use the COPY API")
                    try await io.flush()
                case .finished(let results, let end):
                    try finish(end)
                    return results
                }
            }
        }
    }
}

extension BackendMessage {
    /// The message's protocol name, for error messages.
    var kindName: String {
        switch self {
        case .authentication: return "Authentication"
        case .backendKeyData: return "BackendKeyData"
        case .bindComplete: return "BindComplete"
        case .closeComplete: return "CloseComplete"
        case .commandComplete: return "CommandComplete"
        case .copyData: return "CopyData"
        case .copyDone: return "CopyDone"
        case .copyInResponse: return "CopyInResponse"
        case .copyOutResponse: return "CopyOutResponse"
        case .copyBothResponse: return "CopyBothResponse"
        case .dataRow: return "DataRow"
        case .emptyQueryResponse: return "EmptyQueryResponse"
        case .errorResponse: return "ErrorResponse"
        case .functionCallResponse: return "FunctionCallResponse"
        case .negotiateProtocolVersion: return "NegotiateProtocolVersion"
        case .noData: return "NoData"
        case .noticeResponse: return "NoticeResponse"
        case .notificationResponse: return "NotificationResponse"
        case .parameterDescription: return "ParameterDescription"
        case .parameterStatus: return "ParameterStatus"
        case .parseComplete: return "ParseComplete"
        case .portalSuspended: return "PortalSuspended"
        case .readyForQuery: return "ReadyForQuery"
        case .rowDescription: return "RowDescription"
        }
    }
}
