/// A SQLSTATE: the five-character code that PostgreSQL puts on every error and notice.
///
/// Compare with the named codes, or with a literal for any other:
///
/// ```swift
/// if error.sqlState == .uniqueViolation { ... }
/// if error.sqlState == "23P01" { ... }           // exclusion_violation
/// if error.sqlState?.errorClass == "23" { ... }  // any integrity constraint violation
/// ```
///
/// The named constants are the codes PGWire users meet most often; the full list is in
/// PostgreSQL's documentation, appendix "PostgreSQL Error Codes". A struct rather than an enum,
/// so that codes the list does not name are values too, and naming more of them later breaks
/// nobody.
public struct PGSQLState: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The five characters, such as `"23505"`.
    public let rawValue: String

    /// The SQLSTATE `rawValue`. Any string is kept as it is; the server's codes have five
    /// characters.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The SQLSTATE `code`.
    public init(_ code: String) { self.rawValue = code }

    /// A SQLSTATE written as a literal: `"40001"`.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The class: the first two characters, such as `"23"` for integrity constraint violations
    /// or `"08"` for connection exceptions.
    public var errorClass: String { String(rawValue.prefix(2)) }

    /// The five characters.
    public var description: String { rawValue }

    /// `00000`: success (class 00).
    public static let successfulCompletion = PGSQLState("00000")
    /// `01000`: a warning (class 01), as in notices.
    public static let warning = PGSQLState("01000")
    /// `08000`: a connection exception (class 08).
    public static let connectionException = PGSQLState("08000")
    /// `08006`: the connection failed.
    public static let connectionFailure = PGSQLState("08006")
    /// `08P01`: the server saw a protocol violation.
    public static let protocolViolation = PGSQLState("08P01")
    /// `0A000`: the feature is not supported.
    public static let featureNotSupported = PGSQLState("0A000")
    /// `25000`: the statement is not allowed in the transaction's state.
    public static let invalidTransactionState = PGSQLState("25000")
    /// `25001`: the statement cannot run inside a transaction block.
    public static let activeSQLTransaction = PGSQLState("25001")
    /// `25006`: a write in a read-only transaction (or on a standby).
    public static let readOnlySQLTransaction = PGSQLState("25006")
    /// `25P02`: the transaction failed earlier; only ROLLBACK is accepted.
    public static let inFailedSQLTransaction = PGSQLState("25P02")
    /// `28000`: the login is not allowed (pg_hba.conf, role).
    public static let invalidAuthorizationSpecification = PGSQLState("28000")
    /// `28P01`: the password is wrong.
    public static let invalidPassword = PGSQLState("28P01")
    /// `3D000`: the database does not exist.
    public static let invalidCatalogName = PGSQLState("3D000")
    /// `40001`: a serialization failure; retry the transaction.
    public static let serializationFailure = PGSQLState("40001")
    /// `40P01`: a deadlock was detected; retry the transaction.
    public static let deadlockDetected = PGSQLState("40P01")
    /// `42601`: a syntax error.
    public static let syntaxError = PGSQLState("42601")
    /// `42501`: the role lacks a privilege.
    public static let insufficientPrivilege = PGSQLState("42501")
    /// `42703`: no such column.
    public static let undefinedColumn = PGSQLState("42703")
    /// `42883`: no such function (or no overload for the argument types).
    public static let undefinedFunction = PGSQLState("42883")
    /// `42P01`: no such table.
    public static let undefinedTable = PGSQLState("42P01")
    /// `42P07`: the table already exists.
    public static let duplicateTable = PGSQLState("42P07")
    /// `22012`: division by zero.
    public static let divisionByZero = PGSQLState("22012")
    /// `22003`: a number out of its type's range.
    public static let numericValueOutOfRange = PGSQLState("22003")
    /// `22P02`: text that does not parse as the type.
    public static let invalidTextRepresentation = PGSQLState("22P02")
    /// `23000`: an integrity constraint was violated.
    public static let integrityConstraintViolation = PGSQLState("23000")
    /// `23502`: NULL in a NOT NULL column.
    public static let notNullViolation = PGSQLState("23502")
    /// `23503`: a foreign key was violated.
    public static let foreignKeyViolation = PGSQLState("23503")
    /// `23505`: a unique constraint was violated.
    public static let uniqueViolation = PGSQLState("23505")
    /// `23514`: a CHECK constraint was violated.
    public static let checkViolation = PGSQLState("23514")
    /// `57014`: the statement was cancelled (a cancel request or statement_timeout).
    public static let queryCanceled = PGSQLState("57014")
    /// `57P01`: the server is shutting down, or an administrator ended the backend.
    public static let adminShutdown = PGSQLState("57P01")
    /// `57P02`: the server is restarting after another backend crashed.
    public static let crashShutdown = PGSQLState("57P02")
    /// `57P03`: the server is starting up or shutting down.
    public static let cannotConnectNow = PGSQLState("57P03")
    /// `53300`: the server has no connection slot left.
    public static let tooManyConnections = PGSQLState("53300")
    /// `55P03`: a lock was not available (NOWAIT or lock_timeout).
    public static let lockNotAvailable = PGSQLState("55P03")
    /// `55006`: the object is in use by another session.
    public static let objectInUse = PGSQLState("55006")
    /// `P0001`: a PL/pgSQL RAISE EXCEPTION.
    public static let raiseException = PGSQLState("P0001")
}

extension PGError {
    /// The server's SQLSTATE, if this error came from the server.
    public var sqlState: PGSQLState? { serverFields[.sqlState].map(PGSQLState.init(rawValue:)) }
    /// The server's primary message, if this error came from the server.
    public var serverMessage: String? { serverFields[.message] }
    /// The server's detail message, if any.
    public var detail: String? { serverFields[.detail] }
    /// The server's hint, if any.
    public var hint: String? { serverFields[.hint] }
    /// The non-localized severity (`V`), falling back to the localized one (`S`).
    public var severity: String? { serverFields[.severity] ?? serverFields[.localizedSeverity] }
}
