/// One libpq connection keyword: its environment variable and how its value is checked.
///
/// The table holds every keyword of libpq 17 (plus PostgreSQL 18's protocol-version and
/// `sslkeylogfile` keys), so any string libpq accepts parses, except for features PGWire refuses
/// outright (`service`, `replication`, `gssencmode=require`, a non-UTF8 `client_encoding`).
struct ConnectionKeyword: Sendable {
    enum Rule: Sendable {
        /// Any text.
        case text
        /// Any text, never shown in a message.
        case secret
        /// An integer (libpq's `parse_int_param`: surrounding whitespace allowed), at least `minimum`.
        case integer(minimum: Int?)
        /// One of these exact words.
        case choice([String])
        /// One of these words, ignoring case (libpq's `pg_strcasecmp`).
        case caseInsensitiveChoice([String])
        /// Checked by ``ConnectionKeyword/check(_:_:origin:)`` with its own rule.
        case special
    }

    let name: String
    let environmentVariable: String?
    let rule: Rule

    /// Where a value came from, for messages.
    enum Origin: Sendable, Equatable {
        case connectionString
        case environment(String)

        var suffix: String {
            switch self {
            case .connectionString: return ""
            case .environment(let variable): return " (environment variable \(variable))"
            }
        }
    }

    static let all: [ConnectionKeyword] = [
        .init(name: "host", environmentVariable: "PGHOST", rule: .text),
        .init(name: "hostaddr", environmentVariable: "PGHOSTADDR", rule: .special),
        .init(name: "port", environmentVariable: "PGPORT", rule: .special),
        .init(name: "dbname", environmentVariable: "PGDATABASE", rule: .text),
        .init(name: "user", environmentVariable: "PGUSER", rule: .text),
        .init(name: "password", environmentVariable: "PGPASSWORD", rule: .secret),
        .init(name: "passfile", environmentVariable: "PGPASSFILE", rule: .text),
        .init(name: "require_auth", environmentVariable: "PGREQUIREAUTH", rule: .special),
        .init(name: "channel_binding", environmentVariable: "PGCHANNELBINDING", rule: .choice(["disable", "prefer", "require"])),
        .init(name: "connect_timeout", environmentVariable: "PGCONNECT_TIMEOUT", rule: .integer(minimum: nil)),
        .init(name: "client_encoding", environmentVariable: "PGCLIENTENCODING", rule: .special),
        .init(name: "options", environmentVariable: "PGOPTIONS", rule: .text),
        .init(name: "application_name", environmentVariable: "PGAPPNAME", rule: .text),
        .init(name: "fallback_application_name", environmentVariable: nil, rule: .text),
        .init(name: "keepalives", environmentVariable: nil, rule: .integer(minimum: nil)),
        .init(name: "keepalives_idle", environmentVariable: nil, rule: .integer(minimum: 0)),
        .init(name: "keepalives_interval", environmentVariable: nil, rule: .integer(minimum: 0)),
        .init(name: "keepalives_count", environmentVariable: nil, rule: .integer(minimum: 0)),
        .init(name: "tcp_user_timeout", environmentVariable: nil, rule: .integer(minimum: 0)),
        .init(name: "replication", environmentVariable: nil, rule: .special),
        .init(name: "gssencmode", environmentVariable: "PGGSSENCMODE", rule: .special),
        .init(name: "sslmode", environmentVariable: "PGSSLMODE", rule: .choice(PGConnection.Configuration.TLSMode.allCases.map(\.rawValue))),
        .init(name: "sslnegotiation", environmentVariable: "PGSSLNEGOTIATION", rule: .choice(["postgres", "direct"])),
        .init(name: "sslcompression", environmentVariable: "PGSSLCOMPRESSION", rule: .choice(["0", "1"])),
        .init(name: "sslcert", environmentVariable: "PGSSLCERT", rule: .text),
        .init(name: "sslkey", environmentVariable: "PGSSLKEY", rule: .text),
        .init(name: "sslpassword", environmentVariable: nil, rule: .secret),
        .init(name: "sslcertmode", environmentVariable: "PGSSLCERTMODE", rule: .choice(["disable", "allow", "require"])),
        .init(name: "sslrootcert", environmentVariable: "PGSSLROOTCERT", rule: .text),
        .init(name: "sslcrl", environmentVariable: "PGSSLCRL", rule: .text),
        .init(name: "sslcrldir", environmentVariable: "PGSSLCRLDIR", rule: .text),
        .init(name: "sslsni", environmentVariable: "PGSSLSNI", rule: .choice(["0", "1"])),
        .init(name: "sslkeylogfile", environmentVariable: nil, rule: .text),
        .init(name: "requirepeer", environmentVariable: "PGREQUIREPEER", rule: .text),
        .init(
            name: "ssl_min_protocol_version", environmentVariable: "PGSSLMINPROTOCOLVERSION",
            rule: .caseInsensitiveChoice(tlsVersions)),
        .init(
            name: "ssl_max_protocol_version", environmentVariable: "PGSSLMAXPROTOCOLVERSION",
            rule: .caseInsensitiveChoice(tlsVersions)),
        .init(name: "min_protocol_version", environmentVariable: "PGMINPROTOCOLVERSION", rule: .choice(["3.0", "3.2", "latest"])),
        .init(name: "max_protocol_version", environmentVariable: "PGMAXPROTOCOLVERSION", rule: .choice(["3.0", "3.2", "latest"])),
        .init(name: "krbsrvname", environmentVariable: "PGKRBSRVNAME", rule: .text),
        .init(name: "gsslib", environmentVariable: "PGGSSLIB", rule: .text),
        .init(name: "gssdelegation", environmentVariable: "PGGSSDELEGATION", rule: .choice(["0", "1"])),
        .init(name: "target_session_attrs", environmentVariable: "PGTARGETSESSIONATTRS",
              rule: .choice(PGConnection.Configuration.TargetSessionAttributes.allCases.map(\.rawValue))),
        .init(name: "load_balance_hosts", environmentVariable: "PGLOADBALANCEHOSTS", rule: .choice(["disable", "random"])),
        .init(name: "service", environmentVariable: "PGSERVICE", rule: .special),
        // PGWire's own, not libpq's: see PGConnection.Configuration.PoolerMode.
        .init(
            name: "pooler_mode", environmentVariable: nil,
            rule: .choice(PGConnection.Configuration.PoolerMode.allCases.map(\.rawValue))),
    ]

    static let tlsVersions = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

    static let byName: [String: ConnectionKeyword] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Whether a keyword's value must never appear in a message or description.
    static func isSecret(_ key: String) -> Bool {
        if case .secret = byName[key]?.rule { return true }
        return false
    }

    /// Server settings people try to pass as connection keywords; the error then says to use `options`.
    private static let serverSettings: Set<String> = [
        "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "search_path",
        "timezone", "TimeZone", "datestyle", "DateStyle", "work_mem", "role",
    ]

    static func unknownKeyError(_ key: String) -> PGError {
        var message = "unknown connection option \"\(key)\""
        if serverSettings.contains(key) {
            message += "; set server parameters through options, for example options='-c \(key)=...'"
        }
        return PGError(.invalidConfiguration, message)
    }

    /// Checks one value on its own. Rules that involve several keys (host and port counts,
    /// `sslrootcert=system`, `sslnegotiation=direct`) are checked when the settings are resolved.
    static func check(_ key: String, _ value: String, origin: Origin) throws(PGError) {
        guard let keyword = byName[key] else { throw unknownKeyError(key) }
        // An empty value means "use the default", as libpq treats most empty settings.
        if value.isEmpty { return }
        switch keyword.rule {
        case .text, .secret:
            return
        case .integer(let minimum):
            let number = try integer(value, key: key, origin: origin)
            if let minimum, number < minimum {
                throw invalid(key, value, origin: origin, expected: "an integer of at least \(minimum)")
            }
        case .choice(let words):
            guard words.contains(value) else { throw invalid(key, value, origin: origin, expected: oneOf(words)) }
        case .caseInsensitiveChoice(let words):
            guard words.contains(where: { $0.lowercased() == value.lowercased() }) else {
                throw invalid(key, value, origin: origin, expected: oneOf(words))
            }
        case .special:
            try checkSpecial(key, value, origin: origin)
        }
    }

    private static func checkSpecial(_ key: String, _ value: String, origin: Origin) throws(PGError) {
        switch key {
        case "port":
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                _ = try port(String(element), origin: origin)
            }
        case "hostaddr":
            for element in value.split(separator: ",", omittingEmptySubsequences: false)
            where !element.isEmpty && !SystemFiles.isNumericAddress(String(element)) {
                throw invalid(key, String(element), origin: origin, expected: "numeric IPv4 or IPv6 addresses separated by commas")
            }
        case "client_encoding":
            let cleaned = value.lowercased().filter { $0.isLetter || $0.isNumber }
            guard cleaned == "utf8" || cleaned == "unicode" else {
                throw PGError(
                    .invalidConfiguration,
                    "client_encoding \"\(value)\"\(origin.suffix) is not supported: PGWire always uses UTF8")
            }
        case "gssencmode":
            guard ["disable", "prefer", "require"].contains(value) else {
                throw invalid(key, value, origin: origin, expected: oneOf(["disable", "prefer", "require"]))
            }
            if value == "require" {
                throw PGError(
                    .invalidConfiguration,
                    "gssencmode=require\(origin.suffix) is not supported: PGWire does not implement GSSAPI encryption")
            }
        case "replication":
            guard ["0", "off", "false", "no"].contains(value.lowercased()) else {
                throw PGError(
                    .invalidConfiguration,
                    "connection option \"replication\" is not supported: PGWire does not speak the replication protocol")
            }
        case "service":
            throw PGError(
                .invalidConfiguration,
                "connection option \"service\"\(origin.suffix) is not supported: PGWire does not read connection service files (pg_service.conf)")
        case "require_auth":
            _ = try PGConnection.Configuration.AuthenticationRequirement(libpq: value, originSuffix: origin.suffix)
        default:
            return
        }
    }

    /// Parses an integer the way libpq's `parse_int_param` does: optional surrounding whitespace,
    /// an optional sign, decimal digits, nothing else.
    static func integer(_ value: String, key: String, origin: Origin) throws(PGError) -> Int {
        let trimmed = value.trimmingASCIIWhitespace()
        guard let number = Int(trimmed) else {
            throw PGError(.invalidConfiguration, "invalid integer value \"\(value)\" for connection option \"\(key)\"\(origin.suffix)")
        }
        return number
    }

    /// One element of a `port` list: empty (the default, 5432) or 1 to 65535.
    static func port(_ element: String, origin: Origin) throws(PGError) -> Int? {
        if element.isEmpty { return nil }
        let number = try integer(element, key: "port", origin: origin)
        guard (1...65535).contains(number) else {
            throw PGError(.invalidConfiguration, "invalid port number \"\(element)\" for connection option \"port\"\(origin.suffix)")
        }
        return number
    }

    static func invalid(_ key: String, _ value: String, origin: Origin, expected: String) -> PGError {
        PGError(.invalidConfiguration, "invalid value \"\(value)\" for connection option \"\(key)\"\(origin.suffix): expected \(expected)")
    }

    private static func oneOf(_ words: [String]) -> String {
        "one of " + words.joined(separator: ", ")
    }
}

extension String {
    /// Drops the whitespace C's `isspace` knows from both ends.
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, isConnectionStringSpace(bytes[start]) { start += 1 }
        while end > start, isConnectionStringSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// C's `isspace` in the C locale: space, tab, newline, vertical tab, form feed, carriage return.
func isConnectionStringSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (0x09...0x0D).contains(byte)
}
