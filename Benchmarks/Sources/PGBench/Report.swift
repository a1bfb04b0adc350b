import Foundation

/// Whose code a contender measures.
enum Library: String {
    case pgwire = "PGWire"
    case postgresNIO = "postgres-nio"
    case libpq = "libpq"
    case server = "server"
    case pgEventStore = "PGEventStore"
    case psycopg = "psycopg"
    case asyncpg = "asyncpg"
}

/// One contender's outcome in one benchmark.
struct Outcome {
    enum Status: Equatable {
        case ok
        /// The API it needs does not exist (yet): the reason.
        case unavailable(String)
        case failed(String)
    }

    var bench: String
    /// Short machine name, for example `pgwire-unnest`.
    var key: String
    /// The table's name for it, for example `PGWire unnest INSERT`.
    var name: String
    var library: Library
    /// How it works; contenders of two libraries with the same method are compared.
    var method: String
    var status: Status = .ok
    /// Events, queries or rows done.
    var operations = 0
    var unit = "events"
    var cost = Cost(wall: 0, clientCPU: 0, serverCPU: nil)
    /// Latency quantiles of single operations, in microseconds.
    var p50: Double?
    var p99: Double?
    /// Mean latency in microseconds, where a benchmark reports it (JSON only).
    var mean: Double?
    /// Something the reader must know, such as "1 transaction" or how latency was measured.
    var note: String?
    /// Further figures for the JSON line only (name, value), such as `p90_us` or `rss_growth_mb`.
    var extra: [(String, Double)] = []

    var rate: Double? { status == .ok && cost.wall > 0 ? Double(operations) / cost.wall : nil }

    init(bench: String, key: String, name: String, library: Library, method: String, unit: String) {
        self.bench = bench
        self.key = key
        self.name = name
        self.library = library
        self.method = method
        self.unit = unit
    }

    static func unavailable(
        bench: String, key: String, name: String, library: Library, method: String, unit: String, _ reason: String
    ) -> Outcome {
        var outcome = Outcome(bench: bench, key: key, name: name, library: library, method: method, unit: unit)
        outcome.status = .unavailable(reason)
        return outcome
    }
}

/// Prints each outcome as it arrives (a JSON line and a table row) and the summary at the end.
final class Report {
    private(set) var outcomes: [Outcome] = []
    private var headerPrinted = false
    /// Set by `--tls`: every row is one side of a plaintext/TLS pair, compared as such (TLSReport.swift).
    var comparesTLS = false

    func add(_ outcome: Outcome) {
        outcomes.append(outcome)
        print(jsonLine(outcome))
        if !headerPrinted {
            print(Self.header)
            headerPrinted = true
        }
        print(row(outcome, ratios: false))
        fflush(nil)
    }

    /// A JSON object on one line, for machines: `grep '^{' | jq`.
    func jsonLine(_ outcome: Outcome) -> String {
        var fields: [(String, String)] = [
            ("bench", quote(outcome.bench)), ("contender", quote(outcome.key)), ("name", quote(outcome.name)),
            ("library", quote(outcome.library.rawValue)), ("method", quote(outcome.method)),
        ]
        switch outcome.status {
        case .ok: fields.append(("status", quote("ok")))
        case .unavailable(let reason): fields += [("status", quote("unavailable")), ("reason", quote(reason))]
        case .failed(let error): fields += [("status", quote("failed")), ("error", quote(error))]
        }
        if outcome.status == .ok {
            fields += [
                (outcome.unit, String(outcome.operations)),
                ("seconds", number(outcome.cost.wall, 4)),
                ("\(outcome.unit)_per_second", number(outcome.rate ?? 0, 1)),
                ("client_cpu_seconds", number(outcome.cost.clientCPU, 4)),
            ]
            if let server = outcome.cost.serverCPU { fields.append(("server_cpu_seconds", number(server, 4))) }
            if let p50 = outcome.p50 { fields.append(("p50_us", number(p50, 2))) }
            if let p99 = outcome.p99 { fields.append(("p99_us", number(p99, 2))) }
            if let mean = outcome.mean { fields.append(("mean_us", number(mean, 2))) }
            for (name, value) in outcome.extra { fields.append((name, number(value, 3))) }
        }
        if let note = outcome.note { fields.append(("note", quote(note))) }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Wide enough for the store benchmark's longest name, "server COPY FROM file (hindsight schema)".
    static let nameWidth = 40

    static let header = [
        pad("bench", 9), pad("contender", nameWidth), pad("per second", -12), pad("wall s", -9), pad("client s", -9),
        pad("server s", -9), pad("p50 µs", -9), pad("p99 µs", -9),
    ].joined(separator: " ")

    /// `text` padded with spaces to `width` characters: on the right, or on the left when negative.
    static func pad(_ text: String, _ width: Int) -> String {
        let padding = String(repeating: " ", count: max(0, abs(width) - text.count))
        return width < 0 ? padding + text : text + padding
    }

    /// A fixed-width row; with `ratios`, the ratios against the ceiling, postgres-nio and libpq.
    func row(_ outcome: Outcome, ratios withRatios: Bool) -> String {
        let lead = Self.pad(outcome.bench, 9) + " " + Self.pad(String(outcome.name.prefix(Self.nameWidth)), Self.nameWidth) + " "
        switch outcome.status {
        case .unavailable(let reason):
            return lead + "unavailable: \(reason)"
        case .failed(let error):
            return lead + "FAILED: \(error)"
        case .ok:
            func column(_ value: Double?, _ digits: Int, _ width: Int) -> String {
                Self.pad(value.map { String(format: "%.\(digits)f", $0) } ?? "-", -width)
            }
            var text = lead + [
                column(outcome.rate, 0, 12), column(outcome.cost.wall, 3, 9), column(outcome.cost.clientCPU, 3, 9),
                column(outcome.cost.serverCPU, 3, 9), column(outcome.p50, 1, 9), column(outcome.p99, 1, 9),
            ].joined(separator: " ")
            if withRatios {
                text += ratios(outcome).map { "  \(Self.ratioLabel($0.0)) " + String(format: "%.2f", $0.1) }.joined()
            }
            return text
        }
    }

    private static func ratioLabel(_ key: String) -> String {
        switch key {
        case "ratio_to_ceiling": return "÷ceiling"
        case "ratio_to_postgres_nio": return "÷nio"
        case "ratio_to_libpq": return "÷libpq"
        default:
            return storeRatioLabels[key] ?? notifyRatioLabels[key] ?? poolRatioLabels[key] ?? subscriptionRatioLabels[key] ?? tlsRatioLabels[key] ?? key
        }
    }

    /// PGWire's throughput divided by the server-side ceiling's, by postgres-nio's and by
    /// libpq's (pgbench): the same method (query, prepared, copy, ...) if it ran, else the best.
    /// The store benchmark compares against peers of its own (StoreRatios.swift), the notify
    /// benchmark latencies (NotifyBench.swift), the pool benchmark against postgres-nio's best
    /// (PoolBench.swift), the subscription benchmarks against their goals, their latency floors
    /// and a plain read (SubscriptionRatios.swift), a `--tls` run each TLS row against its
    /// plaintext row (TLSReport.swift).
    func ratios(_ outcome: Outcome) -> [(String, Double)] {
        if comparesTLS { return tlsRatios(outcome) }
        if outcome.bench == StoreBench.bench { return storeRatios(outcome) }
        if outcome.bench == NotifyBench.bench { return notifyRatios(outcome) }
        if outcome.bench == PoolBench.bench { return poolRatios(outcome) }
        if outcome.bench == SubscribeLatency.bench { return latencyRatios(outcome) }
        if outcome.bench == CatchUpBench.bench { return catchUpRatios(outcome) }
        guard outcome.library == .pgwire, let rate = outcome.rate else { return [] }
        let peers = outcomes.filter { $0.bench == outcome.bench && $0.rate != nil }
        var result: [(String, Double)] = []
        if let ceiling = peers.first(where: { $0.library == .server })?.rate {
            result.append(("ratio_to_ceiling", rate / ceiling))
        }
        let nio = peers.filter { $0.library == .postgresNIO }
        if let peer = nio.first(where: { $0.method == outcome.method })?.rate ?? nio.compactMap(\.rate).max() {
            result.append(("ratio_to_postgres_nio", rate / peer))
        }
        let libpqs = peers.filter { $0.library == .libpq }
        if let libpq = libpqs.first(where: { $0.method == outcome.method })?.rate ?? libpqs.compactMap(\.rate).max() {
            result.append(("ratio_to_libpq", rate / libpq))
        }
        return result
    }

    /// The whole table again, with the ratios, and the notes.
    func printSummary(header lines: [String]) {
        print("\n=== summary ===")
        for line in lines { print(line) }
        print(Self.header + "  ratios (PGWire or PGEventStore ÷ other)")
        // Each distinct note once, after the names of the contenders it belongs to.
        var notes: [(names: [String], note: String)] = []
        for outcome in outcomes {
            print(row(outcome, ratios: true))
            guard let note = outcome.note else { continue }
            if let index = notes.firstIndex(where: { $0.note == note }) {
                notes[index].names.append(outcome.name)
            } else {
                notes.append(([outcome.name], note))
            }
        }
        if !notes.isEmpty {
            print("notes:")
            for (names, note) in notes { print("  - \(names.joined(separator: ", ")): \(note)") }
        }
        for line in copyComparison() { print(line) }
        // The ratios as JSON too: a contender's own line came before its peers had run.
        for outcome in outcomes {
            let values = ratios(outcome)
            guard !values.isEmpty else { continue }
            let fields = [("bench", quote(outcome.bench)), ("contender", quote(outcome.key))]
                + values.map { ($0.0, number($0.1, 3)) }
            print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
        }
    }

    private func quote(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default:
                if scalar.value < 0x20 { quoted += String(format: "\\u%04x", scalar.value) } else { quoted.unicodeScalars.append(scalar) }
            }
        }
        return quoted + "\""
    }

    private func number(_ value: Double, _ digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "null"
    }
}
