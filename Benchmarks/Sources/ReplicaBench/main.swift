// The store with reads on a streaming standby, against the same store reading from the primary,
// on a private primary and its standby (synchronous_commit on, as in production: with it off a
// commit waits up to wal_writer_delay before the standby can have it):
//
//   1. append one event, then read that stream back: p50/p99 of the pair, reads on the primary,
//      on the standby with readYourWrites (each read waits for the append's replay), and on the
//      standby without it (how many reads missed the append just made);
//   2. replay delay: from an append's return until the standby has replayed its commit LSN;
//   3. read throughput: readAll of every event, from the primary and from the standby.
//
//   swift run -c release ReplicaBench [--appends N] [--events N]
import Foundation
import PGEventStore
import PGTestServer
import PGWire

struct Options {
    var appends = 2_000
    var events = 200_000
    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--appends": appends = Int(iterator.next() ?? "") ?? appends
            case "--events": events = Int(iterator.next() ?? "") ?? events
            default:
                print("usage: ReplicaBench [--appends N] [--events N]")
                exit(2)
            }
        }
    }
}

func nanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func quantile(_ sorted: [Double], _ q: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q))]
}

func configuration(_ server: TestServer) -> PGConnection.Configuration {
    PGConnection.Configuration(
        host: server.host, port: server.port, user: server.superuser, database: server.database, applicationName: "replica-bench")
}

func store(_ primary: TestServer, reads: TestServer?, readYourWrites: Duration? = nil) throws -> EventStore {
    var settings = EventStore.Configuration(connection: configuration(primary), schema: "bench", copyThreshold: 1_000)
    settings.readConnection = reads.map(configuration)
    settings.readYourWrites = readYourWrites
    return try EventStore(settings)
}

/// Appends one event to a stream of its own and reads the stream back, `count` times: the
/// latencies of the pairs in µs (sorted) and how many reads did not see the event.
func appendThenRead(_ store: EventStore, _ count: Int, prefix: String) async throws -> ([Double], Int) {
    var latencies: [Double] = []
    var missed = 0
    for i in 0..<count {
        let stream = "\(prefix)-\(i)"
        let event = try NewEvent(type: "Probed", data: PGRawJSON(#"{"i": \#(i)}"#))
        let started = nanoseconds()
        _ = try await store.append(to: stream, expected: .noStream, [event])
        let read = try await store.readStream(stream).collect()
        latencies.append(Double(nanoseconds() - started) / 1_000)
        if read.count != 1 { missed += 1 }
    }
    return (latencies.sorted(), missed)
}

let options = Options(arguments: CommandLine.arguments)
try await TestServer.withPrimaryAndStandby(TestServer.Options(settings: ["synchronous_commit": "on"])) { primary, standby in
    let onPrimary = try store(primary, reads: nil)
    let waiting = try store(primary, reads: standby, readYourWrites: .seconds(5))
    let stale = try store(primary, reads: standby)
    try await onPrimary.migrate()
    try await onOwnThread { try standby.waitForReplay(of: primary) }
    print("ReplicaBench \(ISO8601DateFormatter().string(from: Date())), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    print("primary 127.0.0.1:\(primary.port), standby 127.0.0.1:\(standby.port) (streaming, synchronous_commit on, fsync off)")
    print("")
    print("1. append one event, then read its stream (\(options.appends) times each, 200 untimed first)")
    print("reads on                                p50 µs    p99 µs   reads missing the append")
    let rows: [(String, EventStore, String)] = [
        ("the primary", onPrimary, "p"), ("the standby, readYourWrites", waiting, "w"), ("the standby, no wait", stale, "s"),
    ]
    for (name, store, prefix) in rows {
        _ = try await appendThenRead(store, 200, prefix: "warm-\(prefix)")
        let (latencies, missed) = try await appendThenRead(store, options.appends, prefix: prefix)
        print(
            name.padding(toLength: 36, withPad: " ", startingAt: 0)
                + String(format: "%10.1f%10.1f", quantile(latencies, 0.5), quantile(latencies, 0.99))
                + "   \(missed) of \(options.appends)")
    }

    print("")
    print("2. replay delay: an append's return until the standby has replayed its commit (\(options.appends) appends)")
    let position = try await PGConnection.connect(configuration(standby))
    var delays: [Double] = []
    for i in 0..<options.appends {
        let result = try await stale.append(to: "delay-\(i)", [try NewEvent(type: "Probed", data: PGRawJSON("{}"))])
        let returned = nanoseconds()
        let target = Int64(bitPattern: result.commitLSN ?? 0)
        while true {
            let rows = try await position.query("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8").collect()
            if try rows[0].decode(Int64.self, at: 0) >= target { break }
        }
        delays.append(Double(nanoseconds() - returned) / 1_000)
    }
    delays.sort()
    print(String(format: "p50 %.1f µs, p99 %.1f µs (each look is one round trip to the standby, ~60 µs)", quantile(delays, 0.5), quantile(delays, 0.99)))
    await position.close()

    print("")
    print("3. readAll of \(options.events) events (appended in batches of 1,000)")
    var written = 0
    while written < options.events {
        let batch = try (0..<min(1_000, options.events - written)).map { i in
            StreamWrite(stream: "load-\((written + i) % 1_000)", events: [try NewEvent(type: "Loaded", data: PGRawJSON(#"{"n": \#(written + i)}"#))])
        }
        _ = try await onPrimary.append(batch)
        written += batch.count
    }
    try await onOwnThread { try standby.waitForReplay(of: primary) }
    for (name, store) in [("the primary", onPrimary), ("the standby", stale)] {
        var best = 0.0
        for _ in 0..<3 {
            let started = nanoseconds()
            var count = 0
            for try await _ in store.readAll() { count += 1 }
            let seconds = Double(nanoseconds() - started) / 1e9
            best = max(best, Double(count) / seconds)
        }
        print("from " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%12.0f events/s (best of 3)", best))
    }
    for store in [onPrimary, waiting, stale] { await store.close() }
}
