/// How to reach and log in to a PostgreSQL server.
extension PGConnection {
    public struct Configuration: Sendable, CustomStringConvertible {
        /// A host name, a numeric IPv4/IPv6 address, or (beginning with `/`) the directory of the
        /// server's Unix domain socket, as in libpq.
        public var host: String
        /// The TCP port, or the number in the socket file name `.s.PGSQL.<port>`.
        public var port: Int
        /// The database role to log in as.
        public var user: String
        /// The password, used only if the server asks for one. Never logged or shown in errors.
        public var password: String?
        /// The database; the server defaults to one named like the user.
        public var database: String?
        /// Shown in `pg_stat_activity.application_name`.
        public var applicationName: String?
        /// Further run-time parameters sent in the startup packet (for example `search_path`,
        /// `statement_timeout`, `TimeZone`). `client_encoding` is always UTF8.
        public var runtimeParameters: [String: String]
        /// The time allowed to establish the TCP or Unix socket connection, per address tried.
        /// `nil` waits as long as the operating system does.
        public var connectTimeout: Duration?
        /// How long a read waits on the calling thread (in `ppoll`) for an answer that is on its
        /// way before the task suspends and frees the thread. Loopback answers arrive within tens
        /// of microseconds; suspending and resuming costs 15 to 30 µs. Zero always suspends.
        public var readSpin: Duration
        /// Size limits for incoming messages.
        public var messageLimits: BackendMessageDecoder.Limits

        public init(
            host: String = "localhost",
            port: Int = 5432,
            user: String,
            password: String? = nil,
            database: String? = nil,
            applicationName: String? = nil,
            runtimeParameters: [String: String] = [:],
            connectTimeout: Duration? = .seconds(30),
            readSpin: Duration = .microseconds(500),
            messageLimits: BackendMessageDecoder.Limits = .init()
        ) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.applicationName = applicationName
            self.runtimeParameters = runtimeParameters
            self.connectTimeout = connectTimeout
            self.readSpin = readSpin
            self.messageLimits = messageLimits
        }

        /// The endpoint derived from ``host`` and ``port``.
        public var endpoint: Endpoint { Endpoint(host: host, port: port) }

        /// Describes the target without the password.
        public var description: String {
            "user=\(user) database=\(database ?? user) at \(endpoint)"
                + (password == nil ? "" : " password=********")
        }

        /// The parameters of the StartupMessage, in order.
        var startupParameters: [(String, String)] {
            var parameters: [(String, String)] = [("client_encoding", "UTF8")]
            if let applicationName { parameters.append(("application_name", applicationName)) }
            for (name, value) in runtimeParameters.sorted(by: { $0.key < $1.key })
            where name != "client_encoding" {
                parameters.append((name, value))
            }
            return parameters
        }
    }
}
