// Streams `SELECT i, md5(i::text) FROM generate_series(1, N)` through PGWire's row sequence and
// reports the peak resident memory, against collecting the same rows into an array.
//
//   swift run -c release StreamMemoryBench [--rows N] [--collect | --actor | --main-actor]
import Foundation
import PGTestServer
import PGWire

func residentMegabytes() -> Double {
    // VmRSS and VmHWM from /proc: current and peak resident set size.
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    return kilobytes / 1024
}

/// What the loops below compute: the row count and a checksum of the first column.
struct Tally {
    var count = 0
    var checksum = 0

    /// Decodes both columns of `row`, as an application would.
    mutating func add(_ row: PGRow) throws {
        checksum &+= try row.decode(Int.self, at: 0)
        _ = try row.decode(String.self, at: 1)
        count += 1
    }
}

/// The loop in a nonisolated function: it runs where PGWire reads.
func stream(_ sequence: PGRowSequence) async throws -> Tally {
    var tally = Tally()
    for try await row in sequence { try tally.add(row) }
    return tally
}

/// The same loop isolated to an actor: PGWire's calls run on the caller's executor, so
/// iterating from an actor must be about as fast as from a nonisolated function.
actor Consumer {
    func stream(_ sequence: PGRowSequence) async throws -> Tally {
        var tally = Tally()
        for try await row in sequence { try tally.add(row) }
        return tally
    }
}

/// The same loop on the main actor, whose executor on Linux is the main dispatch queue.
@MainActor func streamOnMainActor(_ sequence: PGRowSequence) async throws -> Tally {
    var tally = Tally()
    for try await row in sequence { try tally.add(row) }
    return tally
}

var rows = 1_000_000
var collect = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    if argument == "--rows" { rows = Int(arguments.next() ?? "") ?? rows }
    if argument == "--collect" { collect = true }
}

let server = try TestServer.start()
defer { try? server.stop() }
let connection = try await PGConnection.connect(
    .init(host: server.socketDirectory, port: server.port, user: server.superuser, database: server.database))
_ = try await connection.query("SELECT 1").collect()
let before = residentMegabytes()
let clock = ContinuousClock()
var count = 0
var checksum = 0
let elapsed = try await clock.measure {
    let sequence = try await connection.query("SELECT i, md5(i::text) FROM generate_series(1, \(rows)) i")
    if collect {
        let all = try await sequence.collect()
        for row in all { checksum &+= try row.decode(Int.self, at: 0); count += 1 }
    } else {
        let tally: Tally
        if CommandLine.arguments.contains("--main-actor") {
            tally = try await streamOnMainActor(sequence)
        } else if CommandLine.arguments.contains("--actor") {
            tally = try await Consumer().stream(sequence)
        } else {
            tally = try await stream(sequence)
        }
        (count, checksum) = (tally.count, tally.checksum)
    }
}
let after = residentMegabytes()
await connection.close()
print(String(format: "%@ %d rows in %.2f s: peak RSS %.1f MB before the query, %.1f MB after (growth %.1f MB)",
    collect ? "collected" : "streamed", count, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
    before, after, after - before))
print("{\"bench\":\"stream_memory\",\"mode\":\"\(collect ? "collect" : "stream")\",\"rows\":\(count),\"peak_rss_before_mb\":\(before),\"peak_rss_after_mb\":\(after)}")
