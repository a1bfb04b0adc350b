@_spi(Benchmarks) import PGWire
import Testing

extension Integration {
    /// The poller keeps a socket in its epoll set between waits and re-arms it; a descriptor
    /// number freed by a closed connection and taken by the next one must be added afresh.
    @Suite struct PollerReuseTests {
        @Test func connectionsOpenedOneAfterAnotherOnReusedDescriptorsStillWaitInThePoller() async throws {
            var configuration = try Integration.configuration()
            // No spin: every answer is awaited in the poller, so every query arms the socket.
            configuration.readSpin = .zero
            for round in 0..<20 {
                let connection = try await PGConnection.connect(configuration)
                for query in 0..<3 {
                    let value = round * 10 + query
                    let rows = try await connection.query("SELECT $1::int, pg_sleep(0.001)", [value]).collect()
                    #expect(try rows[0].decode(Int32.self, at: 0) == Int32(value))
                }
                await connection.close()
            }
        }
    }
}
