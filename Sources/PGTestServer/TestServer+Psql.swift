import Foundation

extension TestServer {
    /// Runs `sql` with `psql` as the superuser over the Unix socket, for setting up tests and
    /// checking their effects.
    ///
    /// The script runs as `psql -X -q -A -t -v ON_ERROR_STOP=1`: it stops at the first
    /// error, and the output is unaligned, without headers or command tags, one line per
    /// row with columns separated by `|`.
    ///
    /// - Parameters:
    ///   - sql: One or more statements, separated by semicolons; also `psql` commands
    ///     such as `\d`.
    ///   - database: The database to connect to; `nil` for ``database``.
    ///   - timeout: How long `psql` may run.
    /// - Returns: What `psql` printed, without the final line break.
    /// - Throws: ``TestServerError`` with `psql`'s error output when a statement fails.
    @discardableResult
    public func psql(_ sql: String, database: String? = nil, timeout: Duration = .seconds(120)) throws -> String {
        let command = [
            binaries.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", socketDirectory, "-p", "\(port)", "-U", superuser, "-d", database ?? self.database, "-f", "-",
        ]
        return try runPsql(command, sql: sql, environment: [:], timeout: timeout)
    }

    /// Runs `sql` with `psql` over TCP as `user`, with libpq connection options such as
    /// `sslmode`, `sslrootcert`, `sslcert` and `sslkey`: for checking how the server treats
    /// a client, with libpq as the reference client.
    ///
    /// ```swift
    /// let tls = try #require(server.tls)
    /// let ssl = try server.psql(
    ///     "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    ///     user: tls.certificateUser,
    ///     options: ["host": "localhost", "sslmode": "verify-full", "sslrootcert": tls.certificateAuthority,
    ///               "sslcert": tls.clientCertificate, "sslkey": tls.clientKey]
    /// )  // "t"
    /// ```
    ///
    /// Output as with ``psql(_:database:timeout:)``. No `PG…` variable of this process
    /// reaches `psql`, and it never prompts for a password (`-w`).
    ///
    /// - Parameters:
    ///   - sql: One or more statements, separated by semicolons.
    ///   - user: The role to log in as.
    ///   - password: Given to libpq as `PGPASSWORD`; `nil` for none.
    ///   - options: libpq connection parameters by keyword; they override the defaults of
    ///     `host` (``host``), `port` (``port``), `user` and `dbname`.
    ///   - database: The database to connect to; `nil` for ``database``.
    ///   - timeout: How long `psql` may run.
    /// - Returns: What `psql` printed, without the final line break.
    /// - Throws: ``TestServerError`` with `psql`'s error output when the connection is
    ///   refused or a statement fails.
    @discardableResult
    public func psql(
        _ sql: String,
        user: String,
        password: String? = nil,
        options: [String: String] = [:],
        database: String? = nil,
        timeout: Duration = .seconds(120)
    ) throws -> String {
        var parameters = ["host": host, "port": "\(port)", "user": user, "dbname": database ?? self.database]
        parameters.merge(options) { _, given in given }
        let connection = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.conninfoQuoted($0.value))" }
        let command = [
            binaries.psql, "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1",
            "-d", connection.joined(separator: " "), "-f", "-",
        ]
        return try runPsql(command, sql: sql, environment: password.map { ["PGPASSWORD": $0] } ?? [:], timeout: timeout)
    }

    /// Runs a `psql` command with `sql` as its input, in a clean environment plus `extra`.
    private func runPsql(_ command: [String], sql: String, environment extra: [String: String], timeout: Duration) throws -> String {
        let environment = Subprocess.cleanEnvironment(
            adding: ["PGCLIENTENCODING": "UTF8", "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "pgtestserver"]
                .merging(extra) { _, given in given }
        )
        let result = try Subprocess.run(command, input: sql, environment: environment, timeout: timeout)
        guard result.status == 0 else {
            throw TestServerError("psql failed", command: command, exitStatus: result.status, output: result.combinedOutput)
        }
        var output = Substring(result.stdout)
        while output.last == "\n" { output.removeLast() }
        return String(output)
    }

    /// A value for a libpq connection string: in single quotes, with `\` and `'` escaped.
    private static func conninfoQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
