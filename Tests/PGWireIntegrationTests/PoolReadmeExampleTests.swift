import PGTestServer
import PGWire
import Testing

extension Integration {
    /// The README's pool example, line for line but for the connection string, so it stays true.
    @Suite struct PoolReadmeExampleTests {
        @Test func readmePoolExampleRuns() async throws {
            let server = try Integration.requireServer()
            let url = "postgresql://postgres@127.0.0.1:\(server.port)/postgres"
            let pool = PGPool(configuration: .init(
                connection: try .init(connectionString: url, environment: [:]),
                maximumConnections: 8))
            try await pool.execute("CREATE TABLE IF NOT EXISTS visits (page text, at timestamptz DEFAULT now())")
            try await pool.withTransaction { connection in
                try await connection.execute("INSERT INTO visits (page) VALUES (\("/home"))")
            }
            let visits = try await pool.query("SELECT count(*) FROM visits WHERE page = \("/home")").rows[0].decode(Int.self, at: 0)
            await pool.close()
            #expect(visits == 1)
        }
    }
}
