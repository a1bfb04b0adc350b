/// The one error type thrown by PGWire.
///
/// Every failure carries a ``Code`` saying what kind of failure it is. Errors that come from the
/// server (an ErrorResponse) also carry every field the server sent, reachable through
/// ``serverFields`` and the convenience accessors such as ``sqlState`` and ``serverMessage``.
///
/// The description shows the code, the SQLSTATE and the server's message. It never shows a
/// password or a bound parameter value: PGWire never puts either into an error.
public struct PGError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes may be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionRefused
            case connectionFailed
            case timeout
            case protocolViolation
            case messageTooLarge
            case authentication
            case passwordRequired
            case unsupportedAuthentication
            case server
            case closed
            case serverClosedConnection
            case invalidConfiguration
            case tlsFailed
            case cancelled
            case invalidArgument
            case decoding
            case transactionRolledBack
            case notificationBufferFull
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached: nothing listens on the address, or the socket file is missing.
        public static let connectionRefused = Code(.connectionRefused)
        /// Any other failure to connect or to use the socket (name resolution, unreachable host, I/O error).
        public static let connectionFailed = Code(.connectionFailed)
        /// A connect, read or write did not finish within its time limit.
        public static let timeout = Code(.timeout)
        /// The server sent bytes that are not valid protocol 3 messages, or a message out of order.
        public static let protocolViolation = Code(.protocolViolation)
        /// A message's declared length is above the configured cap.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// Authentication failed on the client side (for example a wrong SCRAM server signature).
        /// A password the server rejects arrives as ``server`` with SQLSTATE 28P01.
        public static let authentication = Code(.authentication)
        /// The server asked for a password and none was configured.
        public static let passwordRequired = Code(.passwordRequired)
        /// The server asked for an authentication method PGWire does not implement (GSS, SSPI, ...).
        public static let unsupportedAuthentication = Code(.unsupportedAuthentication)
        /// The server answered with an ErrorResponse; see ``serverFields``.
        public static let server = Code(.server)
        /// The connection was closed by the client and can no longer be used.
        public static let closed = Code(.closed)
        /// The server closed the socket (or it broke) while the client was using it.
        public static let serverClosedConnection = Code(.serverClosedConnection)
        /// A connection setting is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The TLS handshake or a TLS read or write failed.
        public static let tlsFailed = Code(.tlsFailed)
        /// Internal: a cancelled task, before the error reaches the caller, who gets
        /// `CancellationError` instead (``PGError/thrownForm``).
        static let cancelled = Code(.cancelled)
        /// An argument cannot be sent to the server (for example a string containing a NUL byte).
        public static let invalidArgument = Code(.invalidArgument)
        /// A result value could not be decoded into the requested Swift type; see ``decodingContext``.
        public static let decoding = Code(.decoding)
        /// COMMIT found the transaction failed (an earlier statement's error was caught) and
        /// the server rolled it back instead.
        public static let transactionRolledBack = Code(.transactionRolledBack)
        /// A listener did not keep up: its notification buffer reached its limit, so it ended
        /// rather than drop notifications silently or grow without bound. Read again from what
        /// you last processed, then listen again.
        public static let notificationBufferFull = Code(.notificationBufferFull)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A short explanation written by PGWire (for server errors, the server's message).
    public var message: String
    /// Every field of the server's ErrorResponse, keyed by its protocol field type. Empty unless
    /// ``code`` is ``Code/server`` (or the error wraps a server error, such as a 28P01 during authentication).
    public var serverFields: [PGServerField: String]
    /// The system error number for socket failures, if any.
    public var errno: Int32?
    /// For ``Code/decoding`` errors: the column, PostgreSQL type and Swift type involved.
    public var decodingContext: DecodingContext?

    /// An error of kind `code` with `message`. PGWire fills `serverFields` for errors from the
    /// server and `errno` for socket failures; an error made elsewhere (a test double, say)
    /// usually leaves both empty.
    public init(
        _ code: Code,
        _ message: String,
        serverFields: [PGServerField: String] = [:],
        errno: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.serverFields = serverFields
        self.errno = errno
    }

    /// Builds a ``Code/server`` error from the fields of an ErrorResponse.
    public static func server(_ fields: [PGServerField: String]) -> PGError {
        PGError(.server, fields[.message] ?? "server error", serverFields: fields)
    }

    public var description: String {
        var text = "PGError(\(code)"
        if let state = serverFields[.sqlState] { text += ", SQLSTATE \(state)" }
        text += "): \(message)"
        if let detail = serverFields[.detail] { text += " DETAIL: \(detail)" }
        if let hint = serverFields[.hint] { text += " HINT: \(hint)" }
        return text
    }
}

extension PGError {
    /// What the caller receives for this error: `CancellationError` for a cancelled task (the
    /// one error PGWire reports for cancellation, as Swift's own APIs do), the error itself
    /// otherwise. Every path that ends an exchange throws this form.
    var thrownForm: any Error {
        code == .cancelled ? CancellationError() : self
    }
}
