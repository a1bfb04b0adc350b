import Foundation

extension PgBouncer {
    /// How a ``PgBouncer`` is set up.
    public struct Options: Sendable {
        /// PgBouncer's `pool_mode`.
        public enum PoolMode: String, Sendable {
            /// A server connection per client for the client's whole session.
            case session
            /// A server connection per transaction: nothing outside a transaction survives.
            case transaction
        }

        /// Default `.transaction`, the mode that needs PGWire's `pooler_mode=transaction`.
        public var poolMode: PoolMode
        /// PgBouncer's `default_pool_size`: server connections per database and user. Default 4,
        /// so that concurrent clients do land on different server connections.
        public var defaultPoolSize: Int
        /// PgBouncer's `auth_type` towards clients. Default `scram-sha-256`.
        public var authType: String
        /// How long ``PgBouncer/start(for:_:)`` waits for it to accept connections.
        public var startTimeout: Duration

        /// Options with the given values; the defaults are the ones each property names.
        public init(
            poolMode: PoolMode = .transaction, defaultPoolSize: Int = 4, authType: String = "scram-sha-256",
            startTimeout: Duration = .seconds(20)
        ) {
            self.poolMode = poolMode
            self.defaultPoolSize = defaultPoolSize
            self.authType = authType
            self.startTimeout = startTimeout
        }
    }

    /// The configuration file: every database of `server` (`*`), on 127.0.0.1:`port`, with
    /// the logs and the process id file in `folder`.
    static func configurationFile(server: TestServer, port: Int, folder: String, options: Options) -> String {
        """
        ;; Written by PGTestServer for one test run; deleted when it stops.
        [databases]
        * = host=\(server.host) port=\(server.port)

        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = \(port)
        ;; No Unix socket: an empty value turns it off, so runs never collide in /tmp.
        unix_socket_dir =
        auth_type = \(options.authType)
        auth_file = \(folder)/userlist.txt
        pool_mode = \(options.poolMode.rawValue)
        default_pool_size = \(options.defaultPoolSize)
        max_client_conn = 200
        logfile = \(folder)/pgbouncer.log
        pidfile = \(folder)/pgbouncer.pid
        ;; Sent by pgJDBC and psycopg; harmless to drop.
        ignore_startup_parameters = extra_float_digits
        """
    }

    /// The users file: each test user that has a password, with it in plain text, so PgBouncer
    /// can log in to the server with whatever method the server asks of that user.
    static func usersFile(_ users: [TestServer.User]) -> String {
        users.filter { $0.method != .trust }.compactMap { user in
            user.password.map { "\(quoted(user.name)) \(quoted($0))\n" }
        }.joined()
    }

    /// A value of the users file: in double quotes, a double quote doubled.
    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The watchdog's script: `$1` the process id file, `$2` the folder to remove.
    static let watchdogScript = """
        trap '' HUP INT TERM QUIT PIPE
        IFS= read -r line
        [ "$line" = done ] && exit 0
        pid=$(cat "$1" 2>/dev/null)
        if [ -n "$pid" ]; then
            kill -TERM "$pid" 2>/dev/null
            # PgBouncer removes its process id file as it exits (it may stay a zombie a while).
            for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "$1" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            [ -e "$1" ] && kill -KILL "$pid" 2>/dev/null
        fi
        rm -rf -- "$2"
        exit 0
        """
}
