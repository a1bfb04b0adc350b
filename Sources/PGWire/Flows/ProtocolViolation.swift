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
    var status: TransactionStatus
    var error: [ServerField: String]?
}
