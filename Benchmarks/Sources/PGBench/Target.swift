import Foundation
import Logging
import PGTestServer
@_spi(Benchmarks) import PGWire
import PostgresNIO

/// The server under test and how each client reaches it: PGWire, postgres-nio and pgbench.
struct Target: Sendable {
    /// The private server, when PGBench started one (nil with `--url`).
    let server: TestServer?
    let pgwire: PGConnection.Configuration
    let nio: PostgresConnection.Configuration
    /// pgbench's connection arguments, which follow its other options.
    let pgbenchConnection: [String]
    /// Where the client connects, for the report: "tcp 127.0.0.1:5432" or "unix /tmp/...".
    let transport: String

    static let nioLogger = Logger(label: "PGBench.postgres-nio")

    /// Starts a private server, or resolves `--url` with PGWire's libpq-compatible parser.
    static func make(_ options: Options) throws -> Target {
        if let url = options.url {
            let pgwire = try PGConnection.Configuration(connectionString: url)
            return Target(server: nil, pgwire: pgwire, nio: nioConfiguration(pgwire), pgbenchConnection: [url],
                transport: describe(pgwire.host, pgwire.port))
        }
        // With --tls the server also offers TLS (ssl = on, a fresh test CA); the superuser's
        // `host` rules in pg_hba.conf let it in with and without TLS.
        let server = try TestServer.start(.init(tls: options.tls ? .init() : nil))
        let host = options.unixSocket ? server.socketDirectory : server.host
        let pgwire = PGConnection.Configuration(
            host: host, port: server.port, user: server.superuser, database: server.database)
        let connection = ["-h", host, "-p", String(server.port), "-U", server.superuser, server.database]
        return Target(server: server, pgwire: pgwire, nio: nioConfiguration(pgwire), pgbenchConnection: connection,
            transport: describe(host, server.port))
    }

    /// postgres-nio's configuration for the same server, user, password and database. A host
    /// that starts with `/` is a socket folder, as in libpq.
    private static func nioConfiguration(_ pgwire: PGConnection.Configuration) -> PostgresConnection.Configuration {
        let password = pgwire.password ?? pgwire.servers.first?.password
        var configuration: PostgresConnection.Configuration
        if pgwire.host.hasPrefix("/") {
            configuration = .init(
                unixSocketPath: "\(pgwire.host)/.s.PGSQL.\(pgwire.port)", username: pgwire.user, password: password,
                database: pgwire.database)
        } else {
            configuration = .init(
                host: pgwire.servers.first?.hostAddress ?? pgwire.host, port: pgwire.port, username: pgwire.user,
                password: password, database: pgwire.database, tls: .disable)
        }
        configuration.options.connectTimeout = .seconds(30)
        return configuration
    }

    private static func describe(_ host: String, _ port: Int) -> String {
        host.hasPrefix("/") ? "unix socket \(host)/.s.PGSQL.\(port)" : "tcp \(host):\(port)"
    }

    func connectPGWire(statementCache: Bool = true, readSpin: Duration? = nil) async throws -> PGConnection {
        var configuration = pgwire
        if !statementCache { configuration.statementCacheCapacity = 0 }
        if let readSpin { configuration.readSpin = readSpin }
        return try await PGConnection.connect(configuration)
    }

    func connectNIO() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: nio, id: 1, logger: Self.nioLogger)
    }

    /// Runs `body` on a new PGWire connection and closes it. Without `statementCache`, every
    /// query uses the unnamed statement (Parse, Bind, Execute each time).
    func withPGWire<T>(
        statementCache: Bool = true, readSpin: Duration? = nil, _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        let connection = try await connectPGWire(statementCache: statementCache, readSpin: readSpin)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `body` on a new postgres-nio connection and closes it.
    func withNIO<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connectNIO()
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The pgbench program of the local installation, or nil with the reason.
    func pgbench() -> Result<URL, any Error> {
        Result { try TestServer.findBinaries().appendingPathComponent("pgbench") }
    }

    func stop() {
        try? server?.stop()
    }
}

extension PostgresConnection {
    /// The server process serving this connection.
    func backendPID() async throws -> Int32 {
        for try await (pid) in try await query("SELECT pg_backend_pid()", logger: Target.nioLogger).decode(Int32.self) {
            return pid
        }
        throw BenchError("pg_backend_pid() returned no row")
    }
}

/// A failure of the harness itself, with a message for the report.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
