/// A protocol flow as a pure state machine: it takes the backend messages of one exchange (the
/// driver has already handled ParameterStatus, notices, notifications and FATAL errors) and
/// answers each with an action for the driver. It holds no socket and reads no clock, so tests
/// and fuzzers drive it with scripted messages.
protocol FlowMachine {
    associatedtype Action
    /// True once the exchange ended: at its ReadyForQuery, or when a message broke it.
    var isFinished: Bool { get }
    /// Decides what one message means; called through ``receive(_:)`` only.
    mutating func step(_ message: BackendMessage) throws -> Action
    /// Moves to the finished state.
    mutating func end()
}

extension FlowMachine {
    /// Handles the next message. A finished machine refuses every message, and an error
    /// finishes it: after a protocol violation nothing the server sends is trusted.
    mutating func receive(_ message: BackendMessage) throws -> Action {
        guard !isFinished else { throw protocolViolation(message, "after the exchange ended") }
        do {
            return try step(message)
        } catch {
            end()
            throw error
        }
    }
}

/// The error for a backend message that the protocol does not allow at this point of an
/// exchange. It closes the connection: the client can no longer tell where it is.
func protocolViolation(_ message: BackendMessage, _ context: String) -> PGError {
    PGError(.protocolViolation, "unexpected \(message.kindName) \(context)")
}

/// A DataRow checked against its RowDescription: a row with another column count would make
/// every later index wrong, so it is a protocol violation, not a row.
func checkedRow(_ data: DataRow, _ columns: PGColumns) throws(PGError) -> PGRow {
    guard data.count == columns.count else {
        throw PGError(
            .protocolViolation,
            "the server sent a DataRow of \(data.count) columns for a result of \(columns.count) columns")
    }
    return PGRow(columns: columns, data: data)
}

/// The same check for the text rows of the simple query protocol.
func checkedRow(_ data: DataRow, columnCount: Int) throws(PGError) -> DataRow {
    guard data.count == columnCount else {
        throw PGError(
            .protocolViolation,
            "the server sent a DataRow of \(data.count) columns for a result of \(columnCount) columns")
    }
    return data
}

/// How an exchange ended at its ReadyForQuery: the transaction status, and the server's error
/// if one was reported on the way (the error is thrown only now, when the session is in step).
struct ExchangeEnd: Equatable {
    var status: PGTransactionStatus
    var error: [PGServerField: String]?
}
