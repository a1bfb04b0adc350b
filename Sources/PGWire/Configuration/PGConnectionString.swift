/// A libpq connection string, parsed: its settings in the order written.
///
/// Both of libpq's syntaxes are accepted:
/// - `host=db1,db2 port=5432 dbname=app user=me password='it\'s' sslmode=require`
///   (see `KeyValueParser` for quoting and escapes), and
/// - `postgresql://me:secret@db1:5432,db2:5433/app?sslmode=require`
///   (also `postgres://`; see `URIParser`).
///
/// Every keyword must be one libpq knows, and values are checked on their own (an `sslmode`
/// word, a port number, an integer for `keepalives_idle`, ...). A keyword given twice keeps its
/// last value, as in libpq. Settings that need each other (host and port counts) are checked when
/// they are resolved by ``PGConnectionSettings``. No error message contains a password.
public struct PGConnectionString: Sendable, Hashable, CustomStringConvertible {
    /// One `keyword=value` setting.
    public struct Parameter: Sendable, Hashable {
        /// The keyword as written (`host`, `sslmode`, ...); URI parts are given their keyword names
        /// (`user`, `password`, `host`, `port`, `dbname`).
        public var key: String
        /// The value, with quotes and escapes (or a URI's percent-encoding) removed. May be empty.
        public var value: String

        /// A setting of `key` to `value`, unchecked.
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The settings in the order they appear; a URI's parts come first (user, password, host,
    /// port, dbname), then its query parameters.
    public let parameters: [Parameter]

    /// Parses a connection string in either syntax. An empty string has no settings.
    public init(_ text: String) throws(PGError) {
        let bytes = Array(text.utf8)
        let parsed = URIParser.schemeLength(bytes) != nil ? try URIParser.parse(bytes) : try KeyValueParser.parse(bytes)
        try self.init(parameters: parsed)
    }

    /// Builds one from settings given one by one (like libpq's `PQconnectdbParams`), checking
    /// each keyword and value.
    public init(parameters: [Parameter]) throws(PGError) {
        for parameter in parameters {
            try ConnectionKeyword.check(parameter.key, parameter.value, origin: .connectionString)
        }
        self.parameters = parameters
    }

    /// Whether `text` is written as a URI (begins with `postgresql://` or `postgres://`).
    public static func isURI(_ text: String) -> Bool {
        URIParser.schemeLength(Array(text.utf8)) != nil
    }

    /// The last value given for `key`, or nil if the string does not set it.
    public subscript(key: String) -> String? {
        parameters.last(where: { $0.key == key })?.value
    }

    /// The keywords PGWire accepts: all of libpq's.
    public static var knownKeywords: [String] { ConnectionKeyword.all.map(\.name) }

    /// The environment variable libpq reads for `keyword`, if any (`PGHOST` for `host`).
    public static func environmentVariable(for keyword: String) -> String? {
        ConnectionKeyword.byName[keyword]?.environmentVariable
    }

    /// The settings in `key=value` syntax, with passwords replaced by `********`.
    public var description: String {
        parameters.map { parameter in
            let value = ConnectionKeyword.isSecret(parameter.key) ? "********" : parameter.value
            return "\(parameter.key)=\(Self.quoted(value))"
        }.joined(separator: " ")
    }

    /// A value as it would be written in `key=value` syntax: bare if it can be, else quoted.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.utf8.contains { isConnectionStringSpace($0) || $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\\") }
        guard needsQuotes else { return value }
        // By scalar, not by Character: a quote or backslash followed by a combining mark is one
        // Character, and would go unescaped.
        var result = "'"
        for scalar in value.unicodeScalars {
            if scalar == "'" || scalar == "\\" { result.unicodeScalars.append("\\") }
            result.unicodeScalars.append(scalar)
        }
        return result + "'"
    }
}
