/// Turns the settings in effect (already checked one by one) into a ``PGConnection/Configuration``,
/// applying libpq's defaults and the rules that involve several keywords.
struct SettingsResolver {
    typealias Configuration = PGConnection.Configuration

    let values: [String: String]
    let sources: [String: PGConnectionSettings.Source]
    let system: ConfigurationSystem
    /// The user's home folder (`HOME`, else the password database), where libpq's
    /// `.postgresql/` TLS defaults live.
    let home: String?

    /// The value in effect, treating an empty value as unset (libpq's "use the default").
    func nonEmpty(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    func origin(_ key: String) -> ConnectionKeyword.Origin {
        if case .environment(let variable) = sources[key] { return .environment(variable) }
        return .connectionString
    }

    func configuration() throws(PGError) -> Configuration {
        let servers = try self.servers()
        guard let user = nonEmpty("user") ?? system.userName(), !user.isEmpty else {
            throw PGError(
                .invalidConfiguration,
                "could not determine the user name to connect as: set user in the connection string or PGUSER")
        }
        var configuration = Configuration(
            host: servers[0].host,
            port: servers[0].port,
            user: user,
            password: nonEmpty("password"),
            database: nonEmpty("dbname") ?? user,
            applicationName: nonEmpty("application_name") ?? nonEmpty("fallback_application_name"),
            connectTimeout: try connectTimeout()
        )
        configuration.servers = servers
        configuration.options = nonEmpty("options")
        if let mode = nonEmpty("pooler_mode").flatMap(Configuration.PoolerMode.init(rawValue:)) {
            configuration.poolerMode = mode
        }
        if let attributes = nonEmpty("target_session_attrs") {
            guard let parsed = Configuration.TargetSessionAttributes(rawValue: attributes) else {
                throw ConnectionKeyword.invalid("target_session_attrs", attributes, origin: origin("target_session_attrs"), expected: "a libpq target_session_attrs value")
            }
            configuration.targetSessionAttributes = parsed
        }
        if let balance = nonEmpty("load_balance_hosts") {
            guard let parsed = Configuration.LoadBalanceHosts(rawValue: balance) else {
                throw ConnectionKeyword.invalid("load_balance_hosts", balance, origin: origin("load_balance_hosts"), expected: "disable or random")
            }
            configuration.loadBalanceHosts = parsed
        }
        configuration.tls = try tls()
        configuration.keepalives = try keepalives()
        if let text = nonEmpty("tcp_user_timeout") {
            let milliseconds = try integer("tcp_user_timeout", text)
            // libpq: zero means the system's default.
            configuration.tcpUserTimeout = milliseconds == 0 ? nil : .milliseconds(milliseconds)
        }
        if let text = nonEmpty("require_auth") {
            configuration.requireAuth = try Configuration.AuthenticationRequirement(libpq: text)
        }
        if let text = nonEmpty("channel_binding") {
            guard let binding = Configuration.ChannelBinding(rawValue: text) else {
                throw ConnectionKeyword.invalid("channel_binding", text, origin: origin("channel_binding"), expected: "disable, prefer or require")
            }
            configuration.channelBinding = binding
        }
        return configuration
    }

    private func integer(_ key: String, _ text: String) throws(PGError) -> Int {
        try ConnectionKeyword.integer(text, key: key, origin: origin(key))
    }

    /// libpq's `keepalives` (nonzero: on), and `keepalives_idle`, `keepalives_interval`
    /// (seconds) and `keepalives_count`, where zero means the system's default. Values the
    /// kernel would refuse are errors here, not when connecting.
    func keepalives() throws(PGError) -> Configuration.Keepalives {
        var keepalives = Configuration.Keepalives()
        if let text = nonEmpty("keepalives") { keepalives.enabled = try integer("keepalives", text) != 0 }
        func seconds(_ key: String) throws(PGError) -> Duration? {
            guard let text = nonEmpty(key) else { return nil }
            let value = try integer(key, text)
            guard value <= 32_767 else {
                throw ConnectionKeyword.invalid(key, text, origin: origin(key), expected: "seconds from 0 to 32767")
            }
            return value == 0 ? nil : .seconds(value)
        }
        keepalives.idle = try seconds("keepalives_idle")
        keepalives.interval = try seconds("keepalives_interval")
        if let text = nonEmpty("keepalives_count") {
            let value = try integer("keepalives_count", text)
            guard value <= 127 else {
                throw ConnectionKeyword.invalid("keepalives_count", text, origin: origin("keepalives_count"), expected: "a count from 0 to 127")
            }
            keepalives.count = value == 0 ? nil : value
        }
        return keepalives
    }

    /// libpq's `connect_timeout`: seconds; zero, negative or unset waits indefinitely; a value of
    /// 1 is raised to 2, since libpq insists on at least two seconds.
    func connectTimeout() throws(PGError) -> Duration? {
        guard let text = nonEmpty("connect_timeout") else { return nil }
        let seconds = try ConnectionKeyword.integer(text, key: "connect_timeout", origin: origin("connect_timeout"))
        guard seconds <= Int(Int32.max) else {
            throw ConnectionKeyword.invalid("connect_timeout", text, origin: origin("connect_timeout"), expected: "at most \(Int32.max) seconds")
        }
        return seconds <= 0 ? nil : .seconds(max(2, seconds))
    }

    /// The servers from the comma-separated `host`, `hostaddr` and `port` lists, paired as libpq
    /// pairs them: `hostaddr` (if given) sets the count, else `host`; `host` must then have the same
    /// count; `port` has one value for all or one per server. An empty element means the default:
    /// for a host, the `hostaddr` of that position or else the default socket directory; for a
    /// port, 5432.
    func servers() throws(PGError) -> [Configuration.Server] {
        func list(_ key: String) -> [String] {
            guard let value = nonEmpty(key) else { return [] }
            return value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let hosts = list("host")
        let addresses = list("hostaddr")
        let ports = list("port")
        let count = !addresses.isEmpty ? addresses.count : max(hosts.count, 1)
        if !hosts.isEmpty, hosts.count != count {
            throw PGError(.invalidConfiguration, "could not match \(hosts.count) host names to \(count) hostaddr values")
        }
        if ports.count > 1, ports.count != count {
            throw PGError(.invalidConfiguration, "could not match \(ports.count) port numbers to \(count) hosts")
        }
        var servers: [Configuration.Server] = []
        for position in 0..<count {
            let host = hosts.isEmpty ? "" : hosts[position]
            let address = addresses.isEmpty ? "" : addresses[position]
            let portText = ports.isEmpty ? "" : ports.count == 1 ? ports[0] : ports[position]
            let port = try ConnectionKeyword.port(portText, origin: origin("port")) ?? 5432
            servers.append(
                Configuration.Server(
                    host: !host.isEmpty ? host : !address.isEmpty ? address : system.defaultSocketDirectory,
                    port: port,
                    hostAddress: address.isEmpty ? nil : address))
        }
        return servers
    }
}
