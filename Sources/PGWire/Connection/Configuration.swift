extension PGConnection {
    /// How to reach and log in to a PostgreSQL server.
    ///
    /// Build one in code, or parse a libpq connection string or URI with
    /// ``init(connectionString:environment:)``.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// One server to try: a host name, numeric IPv4/IPv6 address or (beginning with `/`) a
        /// Unix socket directory, and a port.
        public struct Server: Sendable, Hashable, CustomStringConvertible {
            /// The host name, numeric address or Unix socket directory (a path beginning with `/`;
            /// the socket file in it is `.s.PGSQL.<port>`).
            public var host: String
            /// The TCP port, or the number in the Unix socket's file name. Default 5432.
            public var port: Int
            /// libpq's `hostaddr`: a numeric address to connect to instead of resolving ``host``
            /// (``host`` is still used for TLS host name checks and `.pgpass` lookups).
            public var hostAddress: String?
            /// A password for this server only, overriding ``Configuration/password`` (set from a
            /// `.pgpass` file whose lines differ per host). Never shown in descriptions.
            public var password: String?

            /// A server at `host` and `port`, reached at `hostAddress` instead of resolving `host`
            /// when one is given, with its own `password` when one is given.
            public init(host: String, port: Int = 5432, hostAddress: String? = nil, password: String? = nil) {
                self.host = host
                self.port = port
                self.hostAddress = hostAddress
                self.password = password
            }

            /// Where to connect: ``hostAddress`` if set, else ``host``.
            public var endpoint: PGEndpoint { PGEndpoint(host: hostAddress ?? host, port: port) }
            public var description: String { endpoint.description }
        }

        /// libpq's `target_session_attrs`: which kind of server among ``servers`` is acceptable.
        @nonexhaustive
        public enum TargetSessionAttributes: String, Sendable, CaseIterable {
            /// Any server will do (the default).
            case any
            /// A server that accepts writes: not a hot standby, and `default_transaction_read_only`
            /// off.
            case readWrite = "read-write"
            /// A server that does not accept writes by default: a hot standby, or one with
            /// `default_transaction_read_only` on.
            case readOnly = "read-only"
            /// A server that is not a hot standby (not in recovery), whether or not it accepts
            /// writes by default.
            case primary
            /// A hot standby (a server in recovery).
            case standby
            /// A hot standby if any of ``servers`` is one; otherwise, in a second pass over the
            /// list, any server.
            case preferStandby = "prefer-standby"
        }

        /// libpq's `load_balance_hosts` (PostgreSQL 16): the order in which ``servers`` are tried.
        @nonexhaustive
        public enum LoadBalanceHosts: String, Sendable, CaseIterable {
            /// In the order given (the default): the first server that accepts and matches wins.
            case disable
            /// In a random order chosen for each connect, and each host name's addresses too,
            /// so that many clients spread their connections over the servers (read replicas,
            /// say). ``targetSessionAttributes`` still applies to whichever comes first.
            case random
        }

        /// The servers to try, in order, until one accepts the connection and matches
        /// ``targetSessionAttributes`` (libpq's comma-separated `host` and `port`).
        public var servers: [Server]
        /// The database role to log in as.
        public var user: String
        /// The password, used only if the server asks for one. Never logged or shown in errors.
        public var password: String?
        /// The database; the server defaults to one named like the user.
        public var database: String?
        /// Shown in `pg_stat_activity.application_name`.
        public var applicationName: String?
        /// Further run-time parameters sent in the startup packet (for example `search_path`,
        /// `TimeZone`). `client_encoding` is always UTF8.
        public var runtimeParameters: [String: String]
        /// libpq's `options`: command-line options for the server (`-c geqo=off -c work_mem=64MB`).
        public var options: String?
        /// The server's `statement_timeout` for this session, sent at startup; `nil` keeps the
        /// server's default. A statement running longer fails with SQLSTATE 57014.
        public var statementTimeout: Duration?
        /// libpq's `connect_timeout`: the time allowed for the whole startup with one server
        /// address, from the TCP or Unix socket connect through authentication to the first
        /// ReadyForQuery. A server that accepts the connection and then says nothing fails with
        /// ``PGError/Code/timeout`` when it passes. `nil` waits as long as the server and the
        /// operating system do. At most 68 years (`Int32.max` seconds, as libpq).
        public var connectTimeout: Duration?
        /// The default bound on each query, COPY and pipeline (``PGConnection/withQueryTimeout(_:_:)``
        /// overrides it for a scope): when it passes, a CancelRequest goes out; the exchange then
        /// fails with ``PGError/Code/timeout`` (carrying SQLSTATE 57014 when the server cancelled,
        /// and the connection stays usable), or, when the server does not answer within
        /// ``cancelGrace``, the connection is closed. `nil` (the default) waits for the server.
        public var queryTimeout: Duration?
        /// How long the server has to answer a CancelRequest sent for a query timeout or a
        /// cancelled task before the connection is closed. Default 5 seconds.
        public var cancelGrace: Duration
        /// TCP keepalive probes (libpq's `keepalives`, `keepalives_idle`, `keepalives_interval`,
        /// `keepalives_count`); on by default with the system's timings.
        public var keepalives: Keepalives
        /// libpq's `tcp_user_timeout`: how long sent data may stay unacknowledged before the
        /// kernel drops the connection (TCP_USER_TIMEOUT), which then fails with
        /// ``PGError/Code/timeout``. `nil` keeps the system's behaviour (about 15 minutes).
        public var tcpUserTimeout: Duration?
        /// libpq's `require_auth`: the authentication methods the server may ask for. The
        /// connection fails with ``PGError/Code/authentication`` before sending anything the
        /// requirement forbids (for example a cleartext password when only SCRAM is allowed).
        public var requireAuth: AuthenticationRequirement
        /// libpq's `channel_binding`: with TLS and a server that offers SCRAM-SHA-256-PLUS,
        /// `prefer` (the default) binds the login to the server's certificate; `require` accepts
        /// nothing else (no trust, no password methods, no plaintext).
        public var channelBinding: ChannelBinding
        /// Bounds on what the server may make this connection hold or compute.
        public var limits: Limits
        /// Which kind of server is acceptable when several are listed.
        public var targetSessionAttributes: TargetSessionAttributes
        /// The order in which ``servers`` (and each one's addresses) are tried. Default
        /// ``LoadBalanceHosts/disable``: as listed.
        public var loadBalanceHosts: LoadBalanceHosts
        /// TLS settings.
        public var tls: TLS
        /// How long a read waits on the calling thread (in `ppoll`) for an answer that is on its
        /// way before the task suspends and frees the thread. Loopback answers arrive within tens
        /// of microseconds; suspending and resuming costs 15 to 30 µs. Zero always suspends.
        /// A tuning knob for benchmarks, not part of the supported API.
        @_spi(Benchmarks) public var readSpin: Duration
        /// Whether a read right after a send first lets the other tasks that are ready run
        /// (`Task.yield()`) before it looks for the answer. Off by default: a lone connection's
        /// answer would only come later. ``PGPool`` turns it on (see
        /// ``PGPool``): while one task's query is on the wire the tasks that were handed a
        /// connection send theirs, and when the first task resumes its answer is usually there,
        /// read without a wait in the poller. A tuning knob for benchmarks.
        @_spi(Benchmarks) public var yieldAfterSend: Bool
        /// Size limits for incoming messages.
        public var messageLimits: PGMessageLimits
        /// How many prepared statements the connection keeps for repeated queries (LRU). Zero
        /// turns the cache off: every query then uses the unnamed statement, as PgBouncer in
        /// transaction mode requires (``poolerMode`` `.transaction` turns it off too).
        public var statementCacheCapacity: Int
        /// What sits between this client and the server (keyword `pooler_mode`); `.transaction`
        /// for PgBouncer in transaction mode: see ``PoolerMode``. Default `.none`.
        public var poolerMode: PoolerMode

        /// A configuration for one server, `host` and `port`, logging in as `user` (to the
        /// database named like the user when `database` is nil). `connectTimeout` defaults to 30
        /// seconds, where libpq waits indefinitely; the other libpq settings start at libpq's
        /// defaults (`sslmode` `prefer`, keepalives on, any server) and are set through their
        /// properties.
        public init(
            host: String = "localhost",
            port: Int = 5432,
            user: String,
            password: String? = nil,
            database: String? = nil,
            applicationName: String? = nil,
            runtimeParameters: [String: String] = [:],
            connectTimeout: Duration? = .seconds(30),
            messageLimits: PGMessageLimits = .init()
        ) {
            self.servers = [Server(host: host, port: port)]
            self.user = user
            self.password = password
            self.database = database
            self.applicationName = applicationName
            self.runtimeParameters = runtimeParameters
            self.options = nil
            self.statementTimeout = nil
            self.connectTimeout = connectTimeout
            self.queryTimeout = nil
            self.cancelGrace = .seconds(5)
            self.keepalives = Keepalives()
            self.tcpUserTimeout = nil
            self.requireAuth = .any
            self.channelBinding = .prefer
            self.limits = Limits()
            self.targetSessionAttributes = .any
            self.loadBalanceHosts = .disable
            // prefer, as libpq: TLS when the server offers it, plaintext when it says no.
            self.tls = TLS(mode: .prefer)
            self.readSpin = .microseconds(500)
            self.yieldAfterSend = false
            self.messageLimits = messageLimits
            self.statementCacheCapacity = 256
            self.poolerMode = .none
        }

        /// The first server's host. Setting it replaces the first server's host.
        public var host: String {
            get { servers.first?.host ?? "localhost" }
            set {
                if servers.isEmpty { servers = [Server(host: newValue)] } else { servers[0].host = newValue }
            }
        }

        /// The first server's port. Setting it replaces the first server's port.
        public var port: Int {
            get { servers.first?.port ?? 5432 }
            set {
                if servers.isEmpty { servers = [Server(host: "localhost", port: newValue)] } else { servers[0].port = newValue }
            }
        }

        /// The first server's endpoint.
        public var endpoint: PGEndpoint { servers.first?.endpoint ?? PGEndpoint(host: "localhost", port: 5432) }

        /// Describes the target without the password.
        public var description: String {
            "user=\(user) database=\(database ?? user) at \(servers.map(\.description).joined(separator: ","))"
                + (password == nil ? "" : " password=********")
        }

        /// The parameters of the StartupMessage, in order.
        var startupParameters: [(String, String)] {
            var parameters: [(String, String)] = [("client_encoding", "UTF8")]
            if let applicationName { parameters.append(("application_name", applicationName)) }
            if let options { parameters.append(("options", options)) }
            if let statementTimeout {
                let (seconds, attoseconds) = statementTimeout.components
                let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
                parameters.append(("statement_timeout", String(max(milliseconds, 1))))
            }
            for (name, value) in runtimeParameters.sorted(by: { $0.key < $1.key })
            where name != "client_encoding" && !(name == "statement_timeout" && statementTimeout != nil) {
                parameters.append((name, value))
            }
            return parameters
        }
    }
}
