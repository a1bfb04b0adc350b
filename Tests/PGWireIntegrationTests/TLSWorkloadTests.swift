import Foundation
import PGTestServer
import PGWire
import Testing

/// Every way of using a connection, over TLS: the pool, the listener, COPY both ways,
/// pipelines, and results far larger than a TLS record (16 kB), so OpenSSL's buffered bytes,
/// partial writes and the poller's waits all take part.
@Suite(.serialized) struct TLSWorkloadTests {
    static func encrypted(_ server: TestServer, _ tls: TestServer.TLSSetup) -> PGConnection.Configuration {
        TLSTests.configuration(server, .verifyFull, root: tls.certificateAuthority)
    }

    @Test func copyBothWaysPipelinesAndLargeResults() async throws {
        try await TLSTests.withTLSServer { server, tls in
            let connection = try await PGConnection.connect(Self.encrypted(server, tls))
            #expect(connection.tlsInfo != nil)
            try await connection.execute("CREATE TEMP TABLE tls_copy (id int8, body text)")
            let body = String(repeating: "ü", count: 300)
            let written = try await connection.copyIn(table: "tls_copy", columns: ["id", "body"]) { writer in
                for id in 1...20_000 { try await writer.writeRow(Int64(id), body + String(id)) }
            }
            #expect(written == 20_000)
            var rows = 0
            var sum: Int64 = 0
            for try await row in try await connection.copyOut(
                "COPY tls_copy (id, body) TO STDOUT (FORMAT binary)", columnTypes: [.int8, .text])
            {
                let (id, text) = try row.decode((Int64, String).self)
                #expect(text == body + String(id))
                sum += id
                rows += 1
            }
            #expect(rows == 20_000 && sum == 20_000 * 20_001 / 2)

            // One 8 MB value each way.
            let large = String(repeating: "abcdefgh", count: 1 << 20)
            let echoed = try await connection.query("SELECT $1::text", [large]).collect()[0].decode(String.self, at: 0)
            #expect(echoed == large)

            let queries = (1...2_000).map { PGQuery("SELECT \($0)::int8 * 2") }
            let answers = try await connection.pipeline(queries)
            #expect(answers.count == 2_000)
            #expect(try answers.last?.get().rows.first?.decode(Int64.self, at: 0) == 4_000)
            await connection.close()
        }
    }

    @Test func thePoolAndTheListenerWorkOverTLS() async throws {
        try await TLSTests.withTLSServer { server, tls in
            let pool = PGPool(configuration: .init(connection: Self.encrypted(server, tls), maximumConnections: 4))
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        var sum = 0
                        for query in 0..<50 {
                            sum += try await pool.query("SELECT $1::int8", [Int64(task * 50 + query)]).rows[0].decode(Int.self, at: 0)
                        }
                        return sum
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == (0..<800).reduce(0, +))
            let encrypted = try await pool.withConnection { $0.tlsInfo != nil }
            #expect(encrypted)

            let listener = PGListener(configuration: Self.encrypted(server, tls))
            let jobs = try await listener.listen("tls_jobs")
            for index in 1...3 { _ = try await pool.query("SELECT pg_notify('tls_jobs', $1)", ["job \(index)"]) }
            let received = try await Integration.NotificationTests.collect(jobs, count: 3)
            #expect(received.map(\.payload) == ["job 1", "job 2", "job 3"])
            await listener.close()
            await pool.close()
        }
    }
}
