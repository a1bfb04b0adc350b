import PGWire

/// The two ways `--tls` reaches the one server: the same host, port, user and database, once
/// with `sslmode=disable` and once with `sslmode=require`, for PGWire and pgbench alike.
///
/// Both modes are set explicitly: libpq and PGWire default to `prefer`, which on a server with
/// TLS would make the "plaintext" side encrypted too.
extension Target {
    /// This target with `mode` forced on PGWire and pgbench. `url` is `--url`, or nil for the
    /// private server. postgres-nio's configuration stays plaintext: `--tls` does not run it.
    func forcing(_ mode: PGConnection.Configuration.TLSMode, url: String?) throws -> Target {
        var pgwire = pgwire
        let conninfo: String
        if let url {
            // A keyword given twice keeps its last value, in libpq and in PGWire's parser.
            conninfo = Self.appending(sslmode: mode.rawValue, to: url)
            pgwire = try PGConnection.Configuration(connectionString: conninfo)
        } else {
            pgwire.tls.mode = mode
            // pgbench takes a conninfo string in place of the database name; it carries sslmode
            // without touching this process's environment.
            conninfo = [
                ("host", pgwire.host), ("port", String(pgwire.port)), ("user", pgwire.user),
                ("dbname", pgwire.database ?? pgwire.user), ("sslmode", mode.rawValue),
            ].map { "\($0.0)=\(Self.quoted($0.1))" }.joined(separator: " ")
        }
        let label = mode == .disable ? "plaintext" : "TLS"
        return Target(
            server: server, pgwire: pgwire, nio: nio, pgbenchConnection: [conninfo],
            transport: "\(transport), \(label) (sslmode=\(mode.rawValue))")
    }

    /// `url` with `sslmode=<mode>` added last: a URI query parameter or a `key=value` pair.
    static func appending(sslmode mode: String, to url: String) -> String {
        guard PGConnectionString.isURI(url) else { return url + " sslmode=" + mode }
        return url + (url.contains("?") ? "&" : "?") + "sslmode=" + mode
    }

    /// A libpq `key=value` value in single quotes, `\` and `'` escaped.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
