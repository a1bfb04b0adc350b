/// The connection settings in effect, resolved as libpq resolves them: a connection string's
/// settings, then the environment's (`PGHOST`, `PGPORT`, ...) for keywords the string does not set,
/// then the defaults; plus the password file for a password nobody gave.
///
/// ``configuration`` is what PGWire connects with: besides the host, port, user, database and
/// TLS settings it carries `keepalives` and `keepalives_*`, `tcp_user_timeout`, `channel_binding`,
/// `require_auth`, `target_session_attrs` and `load_balance_hosts`, which the connection acts on.
/// ``values`` keeps every keyword that was set, including the few PGWire accepts without acting
/// on them (`requirepeer`, `gssencmode` other than `require`, `krbsrvname`, `gsslib`,
/// `gssdelegation`, `min_protocol_version`, `max_protocol_version`, `sslcompression`).
///
/// Defaults, as libpq on Debian: the host is the Unix socket directory
/// ``defaultSocketDirectory``, the port 5432, the user the operating-system user running the
/// process, the database named like the user, `sslmode` `prefer` (`verify-full` when
/// `sslrootcert=system`), no connect timeout.
///
/// Deliberate differences from libpq: an empty environment variable counts as unset; an empty
/// value for a keyword with fixed words (`sslmode=''`) means its default instead of an error;
/// a URI whose hosts all lack a port sets no `port` (libpq sets `","`, which hides `PGPORT`);
/// integer settings (`connect_timeout`, `keepalives_*`) are checked when parsed, not when used;
/// `service`, `replication`, `gssencmode=require` and a client encoding other than UTF8 are errors.
public struct PGConnectionSettings: Sendable {
    /// Where a keyword's value came from.
    @nonexhaustive
    public enum Source: Sendable, Hashable {
        /// Set in the connection string (or URI).
        case connectionString
        /// Taken from the environment variable `variable` (for example `PGHOST`), because the
        /// connection string did not set the keyword.
        case environment(variable: String)
    }

    /// The connection string as parsed.
    public let connectionString: PGConnectionString
    /// Every keyword set by the connection string or the environment, with its value in effect
    /// (the string's last value, else the environment variable's). Defaults are not included.
    public let values: [String: String]
    /// Where each of ``values`` came from.
    public let sources: [String: Source]
    /// The configuration PGWire connects with.
    public let configuration: PGConnection.Configuration
    /// The password file consulted when no password was given (`passfile`, `PGPASSFILE` or
    /// `~/.pgpass`, whether or not it exists); nil when a password was given.
    public let passwordFile: String?
    /// The password for each of ``configuration``'s servers, in the same order: the given
    /// password for all, or else each server's line of the password file (nil where none matched).
    public let serverPasswords: [String?]
    /// Problems that did not stop the resolution, for the caller to log (for example a password
    /// file with group or world access, which is ignored). Never contains a password.
    public let warnings: [String]

    /// The process environment, read when called.
    public static var processEnvironment: [String: String] { SystemFiles.environment() }

    /// The Unix socket directory used when no host is given: `/var/run/postgresql` (libpq's
    /// compiled-in default on Debian and Ubuntu) if that directory exists, else `/tmp` (the
    /// default of most other builds).
    public static let defaultSocketDirectory: String = ConfigurationSystem.live.defaultSocketDirectory

    /// Parses `connectionString` and resolves it against `environment` and the defaults.
    public init(connectionString: String, environment: [String: String] = processEnvironment) throws(PGError) {
        try self.init(PGConnectionString(connectionString), environment: environment)
    }

    /// Resolves a parsed connection string against `environment` and the defaults.
    public init(_ connectionString: PGConnectionString, environment: [String: String] = processEnvironment) throws(PGError) {
        try self.init(connectionString, environment: environment, system: .live)
    }

    init(_ connectionString: PGConnectionString, environment: [String: String], system: ConfigurationSystem) throws(PGError) {
        var values: [String: String] = [:]
        var sources: [String: Source] = [:]
        for parameter in connectionString.parameters {
            values[parameter.key] = parameter.value
            sources[parameter.key] = .connectionString
        }
        for keyword in ConnectionKeyword.all {
            // An explicit setting, even an empty one, hides the environment (as in libpq); an
            // empty environment variable counts as unset.
            guard values[keyword.name] == nil, let variable = keyword.environmentVariable,
                let value = environment[variable], !value.isEmpty
            else { continue }
            try ConnectionKeyword.check(keyword.name, value, origin: .environment(variable))
            values[keyword.name] = value
            sources[keyword.name] = .environment(variable: variable)
        }

        let resolver = SettingsResolver(
            values: values, sources: sources, system: system, home: ConfigurationSystem.home(environment: environment, system: system))
        var configuration = try resolver.configuration()
        var warnings: [String] = []
        var serverPasswords = configuration.servers.map { _ in configuration.password }
        var passwordFile: String?

        if configuration.password == nil {
            passwordFile = resolver.nonEmpty("passfile") ?? PGPassFile.defaultPath(environment: environment, system: system)
            if let passwordFile {
                switch PGPassFile.load(path: passwordFile) {
                case .loaded(let file):
                    serverPasswords = configuration.servers.map { server in
                        file.password(
                            host: server.host, port: server.port, database: configuration.database ?? configuration.user,
                            user: configuration.user, defaultSocketDirectory: system.defaultSocketDirectory)
                    }
                case .notFound:
                    break
                case .ignored(let warning):
                    warnings.append(warning)
                }
            }
            // One password for all servers when every server has that same line; otherwise each
            // server carries its own, so no server is sent a password meant for another.
            if let first = serverPasswords.first, let first, serverPasswords.allSatisfy({ $0 == first }) {
                configuration.password = first
            } else {
                for index in configuration.servers.indices {
                    configuration.servers[index].password = serverPasswords[index]
                }
            }
        }

        self.connectionString = connectionString
        self.values = values
        self.sources = sources
        self.configuration = configuration
        self.passwordFile = passwordFile
        self.serverPasswords = serverPasswords
        self.warnings = warnings
    }

    /// The value in effect for `keyword` (from the string or the environment), or nil.
    public func value(for keyword: String) -> String? { values[keyword] }

    /// Where the value in effect for `keyword` came from, or nil if it was not set.
    public func source(for keyword: String) -> Source? { sources[keyword] }
}

extension PGConnectionSettings: CustomStringConvertible {
    /// The settings in effect in `key=value` syntax, passwords hidden.
    public var description: String {
        values.keys.sorted().map { key in
            let value = ConnectionKeyword.isSecret(key) ? "********" : values[key] ?? ""
            return "\(key)=\(PGConnectionString.quoted(value))"
        }.joined(separator: " ")
    }
}
