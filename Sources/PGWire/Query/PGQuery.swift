/// A SQL statement with its parameters.
///
/// Write parameters as `$1`, `$2`, ... and pass values, or interpolate them: every `\(value)`
/// becomes a bound parameter, never text spliced into the SQL.
///
/// ```swift
/// let rows = try await connection.query("SELECT name FROM users WHERE id = \(id) AND active = \(true)")
/// ```
///
/// Use `\(unescaped: "...")` only for trusted SQL fragments such as a table name you chose.
public struct PGQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text, with `$n` placeholders.
    public var sql: String
    /// The parameter values.
    public var bindings: PGBindings
    /// An encoding failure from interpolation, thrown when the query runs (interpolation cannot
    /// throw). Boxed: a query is copied along the call chain, and an inline `PGError?` would make
    /// every copy retain its strings and dictionary.
    var encodingError: EncodingFailure?

    /// A query of `sql` with parameters already encoded in `bindings` (none by default). The SQL is
    /// used as given: a `$n` in it refers to the n-th binding.
    public init(_ sql: String, bindings: PGBindings = PGBindings()) {
        self.sql = sql
        self.bindings = bindings
    }

    /// A query with `$1`, `$2`, ... placeholders and their values in order.
    public init(_ sql: String, _ values: [any PGEncodable]) throws {
        self.sql = sql
        self.bindings = PGBindings(capacity: values.count)
        for value in values { try bindings.append(value) }
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.bindings = stringInterpolation.bindings
        self.encodingError = stringInterpolation.encodingError
    }

    /// Shows the SQL and the parameter count, never the values.
    public var description: String {
        bindings.count == 0 ? sql : "\(sql) [\(bindings.count) parameters]"
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var bindings = PGBindings()
        var encodingError: EncodingFailure?

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            bindings = PGBindings(capacity: interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation(_ value: some PGEncodable) {
            bind(value)
        }

        /// Binds `value` as the next parameter, or SQL NULL when it is `nil`. Its own overload
        /// so that interpolating an optional, which is meant here, draws no compiler warning.
        public mutating func appendInterpolation<Value: PGEncodable>(_ value: Value?) {
            bind(value)
        }

        private mutating func bind(_ value: some PGEncodable) {
            do {
                try bindings.append(value)
            } catch let error as PGError {
                encodingError = encodingError ?? EncodingFailure(error)
            } catch {
                encodingError = encodingError ?? EncodingFailure(
                    PGError(.invalidArgument, "parameter $\(bindings.count + 1) could not be encoded: \(error)"))
            }
            // After a failed append, the placeholder number is never sent: the query throws.
            sql += "$\(max(bindings.count, 1))"
        }

        /// Splices trusted SQL text as it is. Never pass user input here.
        public mutating func appendInterpolation(unescaped text: String) {
            sql += text
        }

        /// Splices an identifier (table, column, schema name), quoted and escaped.
        public mutating func appendInterpolation(identifier name: String) {
            sql += PGQuery.quoteIdentifier(name)
        }
    }

    /// Quotes `name` as a SQL identifier: `"`, with embedded quotes doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        var quoted = "\""
        // By scalar, not by Character: a quote followed by a combining mark is one Character
        // that is not equal to `"`, and would slip through unescaped.
        for scalar in name.unicodeScalars {
            if scalar == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(scalar) }
        }
        return quoted + "\""
    }
}

/// A boxed ``PGError`` kept by a ``PGQuery`` whose interpolation failed to encode a value.
final class EncodingFailure: Sendable {
    let error: PGError
    init(_ error: PGError) { self.error = error }
}
