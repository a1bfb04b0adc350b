extension PGConnection.Configuration {
    /// Parses a libpq connection string, `key=value` or URI, and fills what it leaves out from
    /// `environment` (libpq's `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, ... variables), then from
    /// libpq's defaults, then from the password file.
    ///
    /// ```swift
    /// let configuration = try PGConnection.Configuration(
    ///     connectionString: "postgresql://app@db1:5432,db2:5432/events?target_session_attrs=read-write")
    /// ```
    ///
    /// See ``PGConnectionSettings`` for the rules, the defaults, the settings PGWire keeps but does
    /// not act on yet, and the warnings (such as an ignored password file), which this initializer
    /// drops. Throws ``PGError/Code/invalidConfiguration`` naming the offending keyword; no message
    /// contains a password.
    public init(connectionString: String, environment: [String: String] = PGConnectionSettings.processEnvironment) throws(PGError) {
        self = try PGConnectionSettings(connectionString: connectionString, environment: environment).configuration
    }

    /// The configuration from the environment and the defaults alone, like `psql` run with no arguments.
    public static func fromEnvironment(_ environment: [String: String] = PGConnectionSettings.processEnvironment) throws(PGError) -> Self {
        try Self(connectionString: "", environment: environment)
    }
}
