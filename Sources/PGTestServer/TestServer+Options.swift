public import Foundation

extension TestServer {
    /// How a server authenticates a login over the socket or TCP, as written in
    /// `pg_hba.conf`.
    public enum AuthMethod: String, Sendable, Hashable, CaseIterable {
        /// No password asked.
        case trust
        /// The password in clear text (`AuthenticationCleartextPassword`).
        case password
        /// An MD5 challenge (`AuthenticationMD5Password`); the role's password is stored as
        /// an MD5 hash, which is what makes PostgreSQL 14 and later use MD5 rather than SCRAM.
        case md5
        /// SCRAM-SHA-256 (`AuthenticationSASL`); the role's password is stored as a SCRAM
        /// verifier.
        case scramSHA256 = "scram-sha-256"
    }

    /// A login role of the test cluster with a fixed password, for testing one
    /// authentication method.
    ///
    /// Every server has four, listed in ``TestServer/users``:
    ///
    /// | name | method | password |
    /// | --- | --- | --- |
    /// | `pgw_trust` | trust | `trust-unused` (never asked) |
    /// | `pgw_password` | password | `pass word!` |
    /// | `pgw_md5` | md5 | `md5-secret` |
    /// | `pgw_scram` | scram-sha-256 | `scram-sëcret ünïcode` (NFC; tests SASLprep) |
    ///
    /// Each may log in to every database over the Unix socket and over TCP on 127.0.0.1
    /// and ::1, only with its own method, and may create tables in database `postgres`
    /// (it has `CREATE` on the database and on schema `public`). It is not a superuser.
    public struct User: Sendable, Hashable {
        /// The role's name.
        public let name: String
        /// The role's password; `nil` for a role without one.
        public let password: String?
        /// The only method `pg_hba.conf` accepts for this role.
        public let method: AuthMethod

        /// The four test users, one per ``AuthMethod``, in the order of its cases.
        public static let all: [User] = [
            User(name: "pgw_trust", password: "trust-unused", method: .trust),
            User(name: "pgw_password", password: "pass word!", method: .password),
            User(name: "pgw_md5", password: "md5-secret", method: .md5),
            User(name: "pgw_scram", password: "scram-s\u{EB}cret \u{FC}n\u{EF}code", method: .scramSHA256),
        ]
    }

    /// How to start a ``TestServer``.
    public struct Options: Sendable {
        /// The folder holding `initdb`, `pg_ctl`, `postgres` and `psql`; `nil` finds one
        /// with ``TestServer/findBinaries()``.
        public var binDirectory: URL?

        /// Extra `postgresql.conf` settings, by name, e.g. `["log_statement": "all"]`.
        ///
        /// They are written after the server's own (`port`, `listen_addresses`,
        /// `unix_socket_directories`, `fsync = off`, `synchronous_commit = off`,
        /// `full_page_writes = off`, `max_connections = 200`), so they override them. Give
        /// values unquoted: each is written as a quoted string, which PostgreSQL accepts for
        /// every type.
        public var settings: [String: String]

        /// The cluster's folder, kept after ``TestServer/stop()``; `nil` makes a fresh
        /// temporary folder that ``TestServer/stop()`` deletes.
        ///
        /// A folder that does not exist is created (mode 0700) and initialized; one that
        /// already holds a cluster (a `PG_VERSION` file) is started as it is, so its data
        /// survives from one start to the next. When the tests run as root, the server's
        /// OS user `postgres` must be able to reach the folder: not under `/root`.
        public var dataDirectory: String?

        /// The TCP port; `nil` picks a free one (and another if it is taken before the
        /// server binds it).
        public var port: Int?

        /// How long `pg_ctl` may take to start the server before ``TestServer/start(_:)``
        /// gives up.
        public var startTimeout: Duration

        /// TLS for the server: a test CA and certificates made at start, `ssl = on`, and
        /// roles that only TLS or only plain TCP lets in (see ``TestServer/TLSSetup``);
        /// `nil`, the default, for a server without TLS. Needs the `openssl` command-line tool.
        public var tls: TLSOptions?

        /// Creates options; the defaults give a throwaway cluster on a free port, without TLS.
        public init(
            binDirectory: URL? = nil,
            settings: [String: String] = [:],
            dataDirectory: String? = nil,
            port: Int? = nil,
            startTimeout: Duration = .seconds(60),
            tls: TLSOptions? = nil
        ) {
            self.binDirectory = binDirectory
            self.settings = settings
            self.dataDirectory = dataDirectory
            self.port = port
            self.startTimeout = startTimeout
            self.tls = tls
        }
    }
}
