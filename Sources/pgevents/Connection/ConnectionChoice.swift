/// Which server a command talks to, decided from the command line and the environment alone
/// (no file or network is touched), so the rule can be tested as a pure function.
///
/// The rule, first match wins:
/// 1. `--url`: a libpq connection string, URI or `key=value` form.
/// 2. `--data-dir`: the embedded server in that folder (a flag beats the environment).
/// 3. `DATABASE_URL`, when set and not empty.
/// 4. The `PG*` environment, when at least one of ``targetVariables`` is set and not empty.
///    Tuning variables alone (`PGPASSWORD`, `PGSSLMODE`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`, ...)
///    say how to connect, not where, so they do not select this source.
/// 5. The embedded server in the default data folder.
///
/// For 1, 3 and 4 the connection string is completed from the `PG*` variables and `.pgpass`
/// as libpq does: a keyword the string leaves out is taken from its variable.
enum ConnectionChoice: Equatable {
    /// Where a connection string came from.
    enum Origin: String, Equatable {
        case url = "--url"
        case databaseURL = "DATABASE_URL"
    }

    /// A connection string, and where it came from.
    case connectionString(String, origin: Origin)
    /// libpq's defaults completed from the `PG*` variables, like `psql` with no arguments.
    case environment
    /// An embedded server; `dataDirectory` is `--data-dir`, or nil for the default folder.
    case embedded(dataDirectory: String?)

    /// The variables that name a server, a database or a role: any of them selects the `PG*`
    /// environment as the connection.
    static let targetVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]

    /// Applies the rule in the type's documentation.
    static func choose(url: String?, dataDirectory: String?, environment: [String: String]) -> ConnectionChoice {
        if let url { return .connectionString(url, origin: .url) }
        if let dataDirectory { return .embedded(dataDirectory: dataDirectory) }
        if let databaseURL = environment["DATABASE_URL"], !databaseURL.isEmpty {
            return .connectionString(databaseURL, origin: .databaseURL)
        }
        if targetVariables.contains(where: { !(environment[$0] ?? "").isEmpty }) { return .environment }
        return .embedded(dataDirectory: nil)
    }
}
