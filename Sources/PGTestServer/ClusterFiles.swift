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

    /// Writes ``settingsFileName``: where to listen, fast but unsafe durability, the TLS
    /// settings if any, and then the caller's settings, which therefore win.
    static func writeSettings(
        dataDirectory: String,
        port: Int,
        socketDirectory: String,
        tls: TestServer.TLSSetup?,
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
        if let tls {
            lines.append("# TestServer.Options.tls")
            lines += tls.serverSettings.map { setting($0.name, $0.value) }
        }
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
    /// for TCP on 127.0.0.1 and ::1; with TLS, the rules of ``TestServer/TLSSetup``'s roles,
    /// which only TLS or only plain TCP lets in; and `reject` for everyone else.
    static func writeHostBasedAuthentication(
        dataDirectory: String,
        users: [TestServer.User],
        tls: TestServer.TLSSetup?,
        account: ServerAccount
    ) throws {
        let superuser = ServerAccount.serverUserName
        var rules = [
            "# Written by PGTestServer on every start; edits are overwritten.",
            "# TYPE  DATABASE     USER           ADDRESS        METHOD",
        ]
        // `local` is the Unix socket; `host` is TCP, `hostssl` TCP with TLS, `hostnossl`
        // TCP without it.
        typealias Row = (database: String, user: String, local: Bool, host: String, method: String)
        var rows: [Row] =
            [("all", superuser, true, "host", "trust"), ("replication", superuser, true, "host", "trust")]
            + users.map { ("all", $0.name, true, "host", $0.method.rawValue) }
        if let tls {
            rows += [
                ("all", tls.tlsOnlyUser.name, false, "hostssl", tls.tlsOnlyUser.method.rawValue),
                ("all", tls.plainOnlyUser.name, true, "hostnossl", tls.plainOnlyUser.method.rawValue),
                ("all", tls.certificateUser, false, "hostssl", "cert"),
            ]
        }
        rows += [("all", "all", true, "host", "reject"), ("replication", "all", true, "host", "reject")]
        for row in rows {
            if row.local {
                rules.append(rule("local", row.database, row.user, "", row.method))
            }
            rules.append(rule(row.host, row.database, row.user, "127.0.0.1/32", row.method))
            rules.append(rule(row.host, row.database, row.user, "::1/128", row.method))
        }
        try write(rules.joined(separator: "\n") + "\n", to: dataDirectory + "/pg_hba.conf", account: account)
    }

    /// SQL that creates the test users, or on a reused cluster resets them: `LOGIN`, the
    /// fixed password stored the way its method needs (an MD5 hash for `md5`, a SCRAM
    /// verifier otherwise), and `CREATE` on the database and on schema `public`.
    /// With TLS, also the roles of ``TestServer/TLSSetup``; the certificate's role gets no
    /// password.
    static func userSetupSQL(users: [TestServer.User], tls: TestServer.TLSSetup?, database: String) -> String {
        var roles = users.map { (name: $0.name, password: $0.password, md5: $0.method == .md5) }
        if let tls {
            roles += [tls.tlsOnlyUser, tls.plainOnlyUser].map { (name: $0.name, password: $0.password, md5: false) }
            roles.append((name: tls.certificateUser, password: nil, md5: false))
        }
        var sql = ["SELECT 1;"]
        for (name, password, md5) in roles {
            let role = quotedIdentifier(name)
            sql.append("SET password_encryption = '\(md5 ? "md5" : "scram-sha-256")';")
            sql.append(
                """
                DO $pgts$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = \(quotedLiteral(name))) THEN
                    CREATE ROLE \(role);
                  END IF;
                END $pgts$;
                """
            )
            sql.append("ALTER ROLE \(role) WITH LOGIN PASSWORD \(password.map(quotedLiteral) ?? "NULL");")
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
