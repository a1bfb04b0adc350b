/// Named SQLSTATE codes for the errors PGWire users meet most often.
///
/// Compare with ``PGError/sqlState``: `if error.sqlState == SQLState.uniqueViolation { ... }`.
/// The full list is in PostgreSQL's documentation, appendix "PostgreSQL Error Codes".
public enum SQLState {
    public static let successfulCompletion = "00000"
    public static let warning = "01000"
    public static let connectionException = "08000"
    public static let connectionFailure = "08006"
    public static let protocolViolation = "08P01"
    public static let featureNotSupported = "0A000"
    public static let invalidTransactionState = "25000"
    public static let activeSQLTransaction = "25001"
    public static let readOnlySQLTransaction = "25006"
    public static let inFailedSQLTransaction = "25P02"
    public static let invalidAuthorizationSpecification = "28000"
    public static let invalidPassword = "28P01"
    public static let invalidCatalogName = "3D000"
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
    public static let syntaxError = "42601"
    public static let insufficientPrivilege = "42501"
    public static let undefinedColumn = "42703"
    public static let undefinedFunction = "42883"
    public static let undefinedTable = "42P01"
    public static let duplicateTable = "42P07"
    public static let divisionByZero = "22012"
    public static let numericValueOutOfRange = "22003"
    public static let invalidTextRepresentation = "22P02"
    public static let integrityConstraintViolation = "23000"
    public static let notNullViolation = "23502"
    public static let foreignKeyViolation = "23503"
    public static let uniqueViolation = "23505"
    public static let checkViolation = "23514"
    public static let queryCanceled = "57014"
    public static let adminShutdown = "57P01"
    public static let crashShutdown = "57P02"
    public static let cannotConnectNow = "57P03"
    public static let tooManyConnections = "53300"
    public static let lockNotAvailable = "55P03"
    public static let objectInUse = "55006"
    public static let raiseException = "P0001"
}

extension PGError {
    /// The server's SQLSTATE, if this error came from the server.
    public var sqlState: String? { serverFields[.sqlState] }
    /// The server's primary message, if this error came from the server.
    public var serverMessage: String? { serverFields[.message] }
    /// The server's detail message, if any.
    public var detail: String? { serverFields[.detail] }
    /// The server's hint, if any.
    public var hint: String? { serverFields[.hint] }
    /// The non-localized severity (`V`), falling back to the localized one (`S`).
    public var severity: String? { serverFields[.severity] ?? serverFields[.localizedSeverity] }
}
