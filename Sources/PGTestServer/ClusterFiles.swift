import Foundation

/// The files a ``TestServer`` writes into its cluster, and the SQL that sets up its roles.
enum ClusterFiles {
    /// The file holding our settings, rewritten on every start, included at the end of
    /// `postgresql.conf` so that it overrides what `initdb` wrote there.
    static let settingsFileName = "pgtestserver.conf"

    private static let includeLine = "include_if_exists '\(settingsFileName)'"

    /// Adds the include of ``settingsFileName`` to `postgresql.conf`, once.
    static func includeSettings(dataDirectory: String, account: ServerAccount) throws {
        let path = dataDirectory + "/postgresql.conf"
        let current: String
        do {
            current = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TestServerError("could not read \(path): \(error)")
        }
        guard !current.contains(includeLine) else { return }
        let addition = "\n# Added by PGTestServer: its settings, rewritten on every start.\n\(includeLine)\n"
        try write(current + addition, to: path, account: account)
    }

    /// Writes ``settingsFileName``: where to listen, fast but unsafe durability, and then
    /// the caller's settings, which therefore win.
    static func writeSettings(
        dataDirectory: String,
        port: Int,
        socketDirectory: String,
        extra: [String: String],
        account: ServerAccount
    ) throws {
        var lines = [
            "# Written by PGTestServer on every start; edits are overwritten.",
            setting("port", "\(port)"),
            setting("listen_addresses", "127.0.0.1,::1"),
            setting("unix_socket_directories", socketDirectory),
            "# A test cluster is disposable: trade crash safety for speed. A crash of the",
            "# machine (not of the server) can corrupt it. Override in Options.settings.",
            setting("fsync", "off"),
            setting("synchronous_commit", "off"),
            setting("full_page_writes", "off"),
            setting("max_connections", "200"),
        ]
        if !extra.isEmpty {
            try validate(settings: extra)
            lines.append("# TestServer.Options.settings")
            for (name, value) in extra.sorted(by: { $0.key < $1.key }) {
                lines.append(setting(name, value))
            }
        }
        try write(lines.joined(separator: "\n") + "\n", to: dataDirectory + "/" + settingsFileName, account: account)
    }

    /// Checks that every setting's name is one PostgreSQL could have (letters, digits, `_`
    /// and `.`) and that no value holds a line break, so that none can smuggle in a line.
    static func validate(settings: [String: String]) throws {
        for (name, value) in settings {
            let valid = !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
            guard valid else {
                throw TestServerError("invalid PostgreSQL setting name \"\(name)\"")
            }
            guard !value.contains(where: \.isNewline) else {
                throw TestServerError("the value of setting \(name) holds a line break")
            }
        }
    }

    /// Replaces `pg_hba.conf`: one rule per test user and method, for the Unix socket and
    /// for TCP on 127.0.0.1 and ::1, and `reject` for everyone else.
    static func writeHostBasedAuthentication(
        dataDirectory: String,
        users: [TestServer.User],
        account: ServerAccount
    ) throws {
        let superuser = ServerAccount.serverUserName
        var rules = [
            "# Written by PGTestServer on every start; edits are overwritten.",
            "# TYPE  DATABASE     USER           ADDRESS        METHOD",
        ]
        typealias Row = (database: String, user: String, method: String)
        let rows: [Row] =
            [("all", superuser, "trust"), ("replication", superuser, "trust")]
            + users.map { ("all", $0.name, $0.method.rawValue) }
            + [("all", "all", "reject"), ("replication", "all", "reject")]
        for row in rows {
            rules.append(rule("local", row.database, row.user, "", row.method))
            rules.append(rule("host", row.database, row.user, "127.0.0.1/32", row.method))
            rules.append(rule("host", row.database, row.user, "::1/128", row.method))
        }
        try write(rules.joined(separator: "\n") + "\n", to: dataDirectory + "/pg_hba.conf", account: account)
    }

    /// SQL that creates the test users, or on a reused cluster resets them: `LOGIN`, the
    /// fixed password stored the way its method needs (an MD5 hash for `md5`, a SCRAM
    /// verifier otherwise), and `CREATE` on the database and on schema `public`.
    static func userSetupSQL(users: [TestServer.User], database: String) -> String {
        var sql = ["SELECT 1;"]
        for user in users {
            let role = quotedIdentifier(user.name)
            let encryption = user.method == .md5 ? "md5" : "scram-sha-256"
            sql.append("SET password_encryption = '\(encryption)';")
            sql.append(
                """
                DO $pgts$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = \(quotedLiteral(user.name))) THEN
                    CREATE ROLE \(role);
                  END IF;
                END $pgts$;
                """
            )
            let password = user.password.map(quotedLiteral) ?? "NULL"
            sql.append("ALTER ROLE \(role) WITH LOGIN PASSWORD \(password);")
            sql.append("GRANT CREATE ON DATABASE \(quotedIdentifier(database)) TO \(role);")
            sql.append("GRANT CREATE ON SCHEMA public TO \(role);")
        }
        sql.append("RESET password_encryption;")
        return sql.joined(separator: "\n") + "\n"
    }

    static func quotedLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    static func quotedIdentifier(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func setting(_ name: String, _ value: String) -> String {
        "\(name) = \(quotedLiteral(value.replacingOccurrences(of: "\\", with: "\\\\")))"
    }

    private static func rule(
        _ type: String,
        _ database: String,
        _ user: String,
        _ address: String,
        _ method: String
    ) -> String {
        func padded(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
        let line = padded(type, 8) + padded(database, 13) + padded(user, 15) + padded(address, 15) + method
        return line
    }

    /// Writes `text` to `path` and gives the file to the server's user.
    private static func write(_ text: String, to path: String, account: ServerAccount) throws {
        do {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw TestServerError("could not write \(path): \(error)")
        }
        try account.hand(path)
    }
}
