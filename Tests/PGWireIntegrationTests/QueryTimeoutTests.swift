#if canImport(Glibc)
import Glibc
#endif
@testable import PGWire
import Testing

extension Integration {
    /// A query timeout against the real server: the server cancels the statement, the call fails
    /// with a timeout carrying SQLSTATE 57014, and the connection goes on.
    @Suite struct QueryTimeoutTests {
        static func connect(queryTimeout: Duration? = nil) async throws -> PGConnection {
            var configuration = try Integration.configuration()
            configuration.queryTimeout = queryTimeout
            return try await PGConnection.connect(configuration)
        }

        static func requireCancelledTimeout(_ error: PGError?, within elapsed: Duration) {
            #expect(error?.code == .timeout)
            #expect(error?.sqlState == PGSQLState.queryCanceled)
            #expect(elapsed < .seconds(20))  // pg_sleep(30) would take 30 s; margin for a loaded machine
        }

        @Test func theConfiguredTimeoutCancelsASlowQueryAndKeepsTheConnection() async throws {
            let connection = try await Self.connect(queryTimeout: .milliseconds(300))
            defer { Task { await connection.close() } }
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) { try await connection.execute("SELECT pg_sleep(30)") }
            Self.requireCancelledTimeout(error, within: ContinuousClock.now - started)
            #expect(!connection.isClosed)
            #expect(try await connection.query("SELECT 11").collect()[0].decode(Int32.self, at: 0) == 11)
        }

        @Test func aScopedTimeoutAppliesToSimpleQueriesAndOnlyInsideTheScope() async throws {
            let connection = try await Self.connect()
            defer { Task { await connection.close() } }
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) {
                try await PGConnection.withQueryTimeout(.milliseconds(200)) {
                    try await connection.simpleQuery("SELECT pg_sleep(30)")
                }
            }
            Self.requireCancelledTimeout(error, within: ContinuousClock.now - started)
            // Outside the scope a query runs as long as it needs.
            #expect(try await connection.simpleQuery("SELECT pg_sleep(0.4), 3")[0].rows[0].text(at: 1) == "3")
        }

        @Test func aTimeoutWhileIteratingRowsCancelsTheRest() async throws {
            let connection = try await Self.connect(queryTimeout: .milliseconds(500))
            defer { Task { await connection.close() } }
            var seen = 0
            let error = await #expect(throws: PGError.self) {
                for try await _ in try await connection.query(
                    "SELECT i, pg_sleep(CASE WHEN i = 2 THEN 30 ELSE 0 END) FROM generate_series(1, 3) i")
                {
                    seen += 1
                }
            }
            #expect(error?.code == .timeout)
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }

        @Test func aFastQueryIsUntouchedByTheTimeout() async throws {
            let connection = try await Self.connect(queryTimeout: .seconds(5))
            defer { Task { await connection.close() } }
            for value in 0..<50 {
                #expect(try await connection.query("SELECT $1::int", [value]).collect()[0].decode(Int.self, at: 0) == value)
            }
        }

        @Test func aTimeoutInsideCopyInCancelsTheCopy() async throws {
            let connection = try await Self.connect(queryTimeout: .milliseconds(300))
            defer { Task { await connection.close() } }
            // A trigger that sleeps makes the server, not the client, slow during the COPY.
            _ = try await connection.simpleQuery("""
                CREATE TEMP TABLE slow_copy (i int);
                CREATE FUNCTION pg_temp.sleepy() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$;
                CREATE TRIGGER sleepy BEFORE INSERT ON slow_copy FOR EACH ROW EXECUTE FUNCTION pg_temp.sleepy();
                """)
            let started = ContinuousClock.now
            let error = await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "slow_copy", columns: ["i"]) { writer in
                    try await writer.writeRow(Int32(1))
                }
            }
            Self.requireCancelledTimeout(error, within: ContinuousClock.now - started)
            #expect(try await connection.query("SELECT count(*) FROM slow_copy").collect()[0].decode(Int.self, at: 0) == 0)
        }

        @Test func keepaliveAndUserTimeoutSettingsReachTheSocket() async throws {
            var configuration = try Integration.configuration()
            configuration.keepalives = .init(enabled: true, idle: .seconds(37), interval: .seconds(6), count: 4)
            configuration.tcpUserTimeout = .milliseconds(4321)
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            let fd = connection.io.socket.fd
            #expect(SocketOptionReader.int(fd, SOL_SOCKET, SO_KEEPALIVE) == 1)
            #expect(SocketOptionReader.int(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE) == 37)
            #expect(SocketOptionReader.int(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL) == 6)
            #expect(SocketOptionReader.int(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT) == 4)
            #expect(SocketOptionReader.int(fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == 4321)
        }
    }
}

/// Reads an integer socket option, for checking what PGWire set.
enum SocketOptionReader {
    static func int(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, level, name, &value, &length) == 0 ? value : nil
    }
}
