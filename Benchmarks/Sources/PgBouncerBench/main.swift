// What PgBouncer in transaction mode costs PGWire and the store, against a direct connection,
// in one run on one private server: sequential round trips on one connection, and appends of
// 10 events from 4 concurrent writers through the store's pool of 4, and of 1,000 events (the
// COPY path) from one writer. The sides alternate,
// `rounds` times each, which goes first alternating too, so that both see the same machine
// load; the best run of each side counts.
//
//   swift run -c release PgBouncerBench [seconds per run, default 3] [rounds, default 3]
//
// Sides: "direct" (the defaults: statement cache on), "direct, unnamed" (pooler_mode=transaction
// straight to the server: the cost of parsing every query), "pgbouncer" (pooler_mode=transaction
// through PgBouncer). Needs `pgbouncer` (apt-get install pgbouncer).
import Foundation
import PGEventStore
import PGTestServer
import PGWire

struct Side {
    let name: String
    let configuration: PGConnection.Configuration
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seconds = arguments.first ?? 3
let rounds = arguments.dropFirst().first ?? 3
let server = try TestServer.start()
let bouncer = try PgBouncer.start(for: server, PgBouncer.Options(defaultPoolSize: 4))
defer {
    try? bouncer.stop()
    try? server.stop()
}
let user = server.user(.scramSHA256)
let direct = {
    var direct = PGConnection.Configuration(
        host: server.host, port: server.port, user: user.name, password: user.password, database: server.database)
    direct.tls = .init(mode: .disable)
    return direct
}()
var unnamed = direct
unnamed.poolerMode = .transaction
var pooled = unnamed
pooled.servers = [.init(host: bouncer.host, port: bouncer.port)]
let sides = [Side(name: "direct", configuration: direct), Side(name: "direct, unnamed", configuration: unnamed),
    Side(name: "pgbouncer", configuration: pooled)]
let duration = Duration.seconds(seconds)

/// Sequential `SELECT $1::int4 + 1` on one connection for `duration`: queries per second.
func roundTrips(_ side: Side) async throws -> Double {
    let connection = try await PGConnection.connect(side.configuration)
    for warm in 0..<200 { _ = try await connection.query("SELECT $1::int4 + 1", [warm]).collect() }
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while clock.now - start < duration {
        for _ in 0..<100 {
            let rows = try await connection.query("SELECT $1::int4 + 1", [count]).collect()
            guard try rows[0].decode(Int32.self, at: 0) == Int32(truncatingIfNeeded: count + 1) else {
                throw TestServerError("wrong answer")
            }
            count += 1
        }
    }
    let rate = Double(count) / (clock.now - start).seconds
    await connection.close()
    return rate
}

/// `writers` writers appending `size` events at a time to streams of their own for `duration`:
/// events per second. The schema is migrated on the direct connection. 1,000 events take the
/// COPY path (BEGIN, statements, COPY, COMMIT), 10 the one-statement path.
func appends(_ side: Side, session: PGConnection.Configuration, round: Int, writers: Int, size: Int) async throws -> Double {
    var configuration = EventStore.Configuration(
        connection: side.configuration, schema: "bench_\(side.name.filter(\.isLetter))_\(round)_\(size)",
        maximumConnections: writers)
    configuration.sessionConnection = session
    let store = try EventStore(configuration)
    try await store.migrate()
    let body = PGRawJSON(#"{"amount": 12.5, "currency": "EUR", "note": "benchmark event"}"#)
    let clock = ContinuousClock()
    let start = clock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for writer in 0..<writers {
            group.addTask {
                var written = 0
                var stream = 0
                while clock.now - start < duration {
                    stream += 1
                    // New events (and ids) each time: the same ids again would be a retry.
                    let events = try (0..<size).map { _ in try NewEvent(type: "Happened", data: body) }
                    _ = try await store.append(to: "w\(writer)-\(stream % 500)", events)
                    written += events.count
                }
                return written
            }
        }
        return try await group.reduce(0, +)
    }
    let rate = Double(total) / (clock.now - start).seconds
    await store.close()
    return rate
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func format(_ value: Double) -> String { String(format: "%.0f", value) }

print("PgBouncerBench: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(seconds) s per run, \(rounds) rounds, "
    + "\(bouncer) in front of \(server); best run of each side")
var best: [String: Double] = [:]
for round in 0..<rounds {
    let order = round % 2 == 0 ? sides : sides.reversed()
    for side in order {
        let rate = try await roundTrips(side)
        print("round \(round + 1) round trips, \(side.name): \(format(rate))/s")
        best["roundtrip " + side.name] = max(best["roundtrip " + side.name] ?? 0, rate)
    }
    for (key, writers, size) in [("append", 4, 10), ("copy", 1, 1_000)] {
        for side in order {
            let rate = try await appends(side, session: direct, round: round, writers: writers, size: size)
            print("round \(round + 1) \(key), \(side.name): \(format(rate)) events/s")
            best["\(key) " + side.name] = max(best["\(key) " + side.name] ?? 0, rate)
        }
    }
}
print("")
print("| benchmark | direct | direct, unnamed | pgbouncer | pgbouncer / direct |")
print("| --- | ---: | ---: | ---: | ---: |")
for (label, key) in [
    ("round trips/s (1 connection)", "roundtrip"), ("append events/s (4 writers x 10 events)", "append"),
    ("append events/s (1 writer x 1,000 events, COPY)", "copy"),
] {
    let directRate = best["\(key) direct"] ?? 0
    let unnamedRate = best["\(key) direct, unnamed"].map(format) ?? "-"
    let pooledRate = best["\(key) pgbouncer"] ?? 0
    print("| \(label) | \(format(directRate)) | \(unnamedRate) | \(format(pooledRate)) | \(String(format: "%.2f", pooledRate / directRate))x |")
}
