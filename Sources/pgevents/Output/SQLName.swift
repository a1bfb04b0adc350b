import PGWire

/// SQL identifiers for the few statements pgevents writes itself.
enum SQLName {
    /// `name` as a quoted identifier: `"my ""odd"" schema"`. PGWire's quoting works by Unicode
    /// scalar: Foundation's replacingOccurrences misses a quote followed by a combining mark
    /// (one Character), which would end the identifier early.
    static func quoted(_ name: String) -> String {
        PGQuery.quoteIdentifier(name)
    }
}
