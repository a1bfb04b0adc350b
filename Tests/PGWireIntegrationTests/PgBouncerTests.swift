import Foundation
import PGTestServer
import PGWire
import Testing

extension Integration {
    /// PGWire through a real PgBouncer 1.18+ in transaction mode (Debian's `pgbouncer`).
    ///
    /// PgBouncer hands out its server connections LIFO: a client that lets one go and then
    /// sees another client take it gets a different server connection for its next
    /// transaction. The tests arrange exactly that, so that anything left on the first server
    /// connection (a named statement) is missing on the second.
    @Suite(
        .enabled(
            if: PgBouncer.testsShouldRun,
            "pgbouncer is not installed (apt-get install pgbouncer); PGEVENTS_REQUIRE_PGBOUNCER=1 makes this a failure"))
    struct PgBouncerTests {
        /// Runs `body` with a PgBouncer in transaction mode in front of the test server, and the
        /// configuration of a SCRAM user through it with `poolerMode`.
        static func withBouncer(
            poolerMode: PGConnection.Configuration.PoolerMode = .transaction,
            _ body: (PgBouncer, PGConnection.Configuration) async throws -> Void
        ) async throws {
            let server = try Integration.requireServer()
            let bouncer = try PgBouncer.start(for: server)
            defer { try? bouncer.stop() }
            let user = server.user(.scramSHA256)
            var configuration = PGConnection.Configuration(
                host: bouncer.host, port: bouncer.port, user: user.name, password: user.password,
                database: server.database, applicationName: "pgbouncer-tests")
            // sslmode=prefer (the default): PgBouncer without TLS answers the SSLRequest with N.
            configuration.poolerMode = poolerMode
            try await body(bouncer, configuration)
        }

        static func backendPID(_ connection: PGConnection) async throws -> Int32 {
            try await connection.query("SELECT pg_backend_pid()").collect()[0].decode(Int32.self, at: 0)
        }

        /// Without the option, the statement cache parses a named statement on one server
        /// connection and binds it on another: PostgreSQL says it does not exist. This is the
        /// failure the option exists for.
        @Test func namedStatementsFailWithoutPoolerMode() async throws {
            try await Self.withBouncer(poolerMode: .none) { _, configuration in
                let first = try await PGConnection.connect(configuration)
                let second = try await PGConnection.connect(configuration)
                defer { Task { await first.close(); await second.close() } }
                #expect(try await first.query("SELECT $1::int4 + 1", [1]).collect()[0].decode(Int32.self, at: 0) == 2)
                // The second client takes the server connection that holds the statement.
                _ = try await second.simpleQuery("BEGIN")
                let error = await #expect(throws: PGError.self) {
                    _ = try await first.query("SELECT $1::int4 + 1", [2]).collect()
                }
                #expect(error?.sqlState == "26000")
                #expect(error?.message.contains("does not exist") == true)
                _ = try await second.simpleQuery("COMMIT")
            }
        }

        /// The same sequence with `pooler_mode=transaction`: every query parses unnamed, so the
        /// change of server connection (checked by its process id) breaks nothing.
        @Test func repeatedQueriesWorkAcrossServerConnections() async throws {
            try await Self.withBouncer { _, configuration in
                let first = try await PGConnection.connect(configuration)
                let second = try await PGConnection.connect(configuration)
                defer { Task { await first.close(); await second.close() } }
                var backends = Set<Int32>()
                for round in 0..<5 {
                    let rows = try await first.query("SELECT $1::int4 + 1, pg_backend_pid()", [round]).collect()
                    #expect(try rows[0].decode(Int32.self, at: 0) == Int32(round + 1))
                    backends.insert(try rows[0].decode(Int32.self, at: 1))
                    _ = try await second.simpleQuery("BEGIN")
                    let during = try await first.query("SELECT $1::text || 'x', pg_backend_pid()", ["r\(round)"]).collect()
                    #expect(try during[0].decode(String.self, at: 0) == "r\(round)x")
                    backends.insert(try during[0].decode(Int32.self, at: 1))
                    _ = try await second.simpleQuery("COMMIT")
                }
                #expect(backends.count >= 2, "the pooler must have moved the client between server connections")
            }
        }

        /// Explicit prepared statements and LISTEN would outlive the transaction: refused with a
        /// clear error naming the option, before anything is sent.
        @Test func prepareAndListenAreRefusedInPoolerMode() async throws {
            try await Self.withBouncer { _, configuration in
                let connection = try await PGConnection.connect(configuration)
                defer { Task { await connection.close() } }
                let prepared = await #expect(throws: PGError.self) { _ = try await connection.prepare("SELECT 1") }
                #expect(prepared?.code == .invalidConfiguration)
                #expect(prepared?.message.contains("pooler_mode=transaction") == true)
                let listen = await #expect(throws: PGError.self) { _ = try await connection.listen("bouncer_channel") }
                #expect(listen?.code == .invalidConfiguration)
                let listener = PGListener(configuration: configuration)
                let pooled = await #expect(throws: PGError.self) { _ = try await listener.listen("bouncer_channel", timeout: .seconds(2)) }
                #expect(pooled?.code == .invalidConfiguration)
                await listener.close()
                // The connection is still usable.
                #expect(try await connection.query("SELECT 7").collect()[0].decode(Int32.self, at: 0) == 7)
            }
        }

        /// Pipelines and batches (one Sync each, and one Sync for all) parse every statement
        /// unnamed, repeated SQL included.
        @Test func pipelinesAndBatches() async throws {
            try await Self.withBouncer { _, configuration in
                let connection = try await PGConnection.connect(configuration)
                let other = try await PGConnection.connect(configuration)
                defer { Task { await connection.close(); await other.close() } }
                for round in 0..<3 {
                    let queries = try (0..<50).map { try PGQuery("SELECT $1::int8 * 2", [$0 + round]) }
                    let results = try await connection.pipeline(queries)
                    #expect(results.count == 50)
                    for (index, result) in results.enumerated() {
                        let rows = try result.get().rows
                        #expect(try rows[0].decode(Int.self, at: 0) == (index + round) * 2)
                    }
                    let batch = try await connection.batch(queries + [try PGQuery("SELECT $1::text", ["end"])])
                    #expect(try batch[49].rows[0].decode(Int.self, at: 0) == (49 + round) * 2)
                    #expect(try batch[50].rows[0].decode(String.self, at: 0) == "end")
                    // Move the client to another server connection between rounds.
                    _ = try await other.simpleQuery("BEGIN")
                    _ = try await connection.query("SELECT 1").collect()
                    _ = try await other.simpleQuery("COMMIT")
                }
            }
        }

        /// COPY FROM STDIN and TO STDOUT, binary, and a transaction that commits and one that
        /// rolls back, all through the pooler.
        @Test func copyAndTransactions() async throws {
            try await Self.withBouncer { _, configuration in
                let connection = try await PGConnection.connect(configuration)
                defer { Task { await connection.close() } }
                let table = "bouncer_copy_" + String(UUID().uuidString.prefix(8)).lowercased()
                try await connection.execute("CREATE TABLE \(identifier: table) (id int8 PRIMARY KEY, name text)")
                let copied = try await connection.copyIn(table: table, columns: ["id", "name"]) { writer in
                    for id in 1...5_000 { try await writer.writeRow(id, "n\(id)") }
                }
                #expect(copied == 5_000)
                var rows = 0
                var sum = 0
                for try await row in try await connection.copyOut(
                    "COPY \(table) (id, name) TO STDOUT (FORMAT binary)", columnTypes: [.int8, .text])
                {
                    rows += 1
                    sum += try row.decode(Int.self, at: 0)
                }
                #expect(rows == 5_000 && sum == 5_000 * 5_001 / 2)
                try await connection.withTransaction { connection in
                    try await connection.execute("INSERT INTO \(table) VALUES ($1, $2)", [Int64(9_001), "in"])
                    // The same server connection for the whole transaction: the row is visible.
                    let seen = try await connection.query("SELECT count(*) FROM \(identifier: table) WHERE id = 9001").collect()
                    #expect(try seen[0].decode(Int.self, at: 0) == 1)
                }
                struct Abort: Error {}
                await #expect(throws: Abort.self) {
                    try await connection.withTransaction { connection in
                        try await connection.execute("INSERT INTO \(table) VALUES ($1, $2)", [Int64(9_002), "out"])
                        throw Abort()
                    }
                }
                let count = try await connection.query("SELECT count(*) FROM \(identifier: table)").collect()
                #expect(try count[0].decode(Int.self, at: 0) == 5_001)
                try await connection.execute("DROP TABLE \(identifier: table)")
            }
        }
    }
}
