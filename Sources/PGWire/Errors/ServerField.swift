/// A field of an ErrorResponse or NoticeResponse, identified by its one-byte protocol type.
///
/// See "Error and Notice Message Fields" in the PostgreSQL protocol documentation.
public struct ServerField: Sendable, Hashable, CustomStringConvertible {
    /// The protocol byte that identifies this field (for example `C` for the SQLSTATE).
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    private init(_ character: Unicode.Scalar) { self.rawValue = UInt8(ascii: character) }

    /// `S`: ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG, possibly localized.
    public static let localizedSeverity = ServerField("S")
    /// `V`: the severity, never localized (PostgreSQL 9.6 and later).
    public static let severity = ServerField("V")
    /// `C`: the SQLSTATE code.
    public static let sqlState = ServerField("C")
    /// `M`: the primary human-readable message.
    public static let message = ServerField("M")
    /// `D`: an optional secondary message with more detail.
    public static let detail = ServerField("D")
    /// `H`: an optional suggestion what to do about the problem.
    public static let hint = ServerField("H")
    /// `P`: a 1-based character index into the original query string.
    public static let position = ServerField("P")
    /// `p`: like ``position``, but into an internally generated command.
    public static let internalPosition = ServerField("p")
    /// `q`: the text of the internally generated command that failed.
    public static let internalQuery = ServerField("q")
    /// `W`: the context in which the error occurred (a call stack traceback).
    public static let `where` = ServerField("W")
    /// `s`: the schema name of the object involved.
    public static let schemaName = ServerField("s")
    /// `t`: the table name of the object involved.
    public static let tableName = ServerField("t")
    /// `c`: the column name involved.
    public static let columnName = ServerField("c")
    /// `d`: the data type name involved.
    public static let dataTypeName = ServerField("d")
    /// `n`: the constraint name involved.
    public static let constraintName = ServerField("n")
    /// `F`: the server source file that reported the error.
    public static let file = ServerField("F")
    /// `L`: the line in that source file.
    public static let line = ServerField("L")
    /// `R`: the server routine that reported the error.
    public static let routine = ServerField("R")

    public var description: String { String(UnicodeScalar(rawValue)) }
}
