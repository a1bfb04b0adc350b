/// A NoticeResponse: a warning or informational message from the server (for example
/// `RAISE NOTICE` in PL/pgSQL, or "table does not exist, skipping").
public struct PGNotice: Sendable, Equatable, CustomStringConvertible {
    /// Every field the server sent, keyed by protocol field type.
    public var fields: [PGServerField: String]

    /// A notice with the given fields, as the server would have sent them.
    public init(fields: [PGServerField: String]) { self.fields = fields }

    /// The notice's primary message.
    public var message: String { fields[.message] ?? "" }
    /// The non-localized severity (NOTICE, WARNING, INFO, ...).
    public var severity: String { fields[.severity] ?? fields[.localizedSeverity] ?? "NOTICE" }
    /// The SQLSTATE, for example `00000` or `01000`.
    public var sqlState: PGSQLState? { fields[.sqlState].map(PGSQLState.init(rawValue:)) }

    public var description: String { "\(severity): \(message)" }
}
