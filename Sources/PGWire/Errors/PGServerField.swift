/// A field of an ErrorResponse or NoticeResponse, identified by its one-byte protocol type.
///
/// See "Error and Notice Message Fields" in the PostgreSQL protocol documentation.
public struct PGServerField: Sendable, Hashable, CustomStringConvertible {
    /// The protocol byte that identifies this field (for example `C` for the SQLSTATE).
    public let rawValue: UInt8

    /// The field with protocol type byte `rawValue`, for fields without a named constant.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    private init(_ character: Unicode.Scalar) { self.rawValue = UInt8(ascii: character) }

    /// `S`: ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG, possibly localized.
    public static let localizedSeverity = PGServerField("S")
    /// `V`: the severity, never localized (PostgreSQL 9.6 and later).
    public static let severity = PGServerField("V")
    /// `C`: the SQLSTATE code.
    public static let sqlState = PGServerField("C")
    /// `M`: the primary human-readable message.
    public static let message = PGServerField("M")
    /// `D`: an optional secondary message with more detail.
    public static let detail = PGServerField("D")
    /// `H`: an optional suggestion what to do about the problem.
    public static let hint = PGServerField("H")
    /// `P`: a 1-based character index into the original query string.
    public static let position = PGServerField("P")
    /// `p`: like ``position``, but into an internally generated command.
    public static let internalPosition = PGServerField("p")
    /// `q`: the text of the internally generated command that failed.
    public static let internalQuery = PGServerField("q")
    /// `W`: the context in which the error occurred (a call stack traceback).
    public static let `where` = PGServerField("W")
    /// `s`: the schema name of the object involved.
    public static let schemaName = PGServerField("s")
    /// `t`: the table name of the object involved.
    public static let tableName = PGServerField("t")
    /// `c`: the column name involved.
    public static let columnName = PGServerField("c")
    /// `d`: the data type name involved.
    public static let dataTypeName = PGServerField("d")
    /// `n`: the constraint name involved.
    public static let constraintName = PGServerField("n")
    /// `F`: the server source file that reported the error.
    public static let file = PGServerField("F")
    /// `L`: the line in that source file.
    public static let line = PGServerField("L")
    /// `R`: the server routine that reported the error.
    public static let routine = PGServerField("R")

    public var description: String { String(UnicodeScalar(rawValue)) }
}
