import Foundation

/// The append benchmark's COPY verdict (issue 20): PGWire's binary COPY against the best other
/// client's COPY (psycopg, asyncpg, postgres-nio) in the same run, and what each COPY contender
/// costs the server per event, the figure least disturbed by other load on the machine.
extension Report {
    static let copyGoal = 1.1

    func copyComparison() -> [String] {
        let copies = outcomes.filter { $0.bench == AppendBench.bench && $0.method.hasPrefix("copy") && $0.rate != nil }
        guard let pgwire = copies.first(where: { $0.key == "pgwire-copy" }), let rate = pgwire.rate else { return [] }
        var lines: [String] = []
        let others = copies.filter { $0.library != .pgwire && $0.library != .server }
        if let best = others.max(by: { ($0.rate ?? 0) < ($1.rate ?? 0) }), let bestRate = best.rate {
            lines.append(
                String(format: "PGWire binary COPY ÷ best other COPY: %.2f (goal ≥ %.1f; best other: %@)",
                    rate / bestRate, Self.copyGoal, best.name))
        }
        if let before = copies.first(where: { $0.key == "pgwire-copy-256k" }), let beforeRate = before.rate {
            var line = String(format: "PGWire binary COPY ÷ the same with 256 KiB flushes (before): %.2f", rate / beforeRate)
            if let now = pgwire.cost.serverCPU, let then = before.cost.serverCPU, then > 0 {
                line += String(format: ", server CPU %.2f of before", now / then)
            }
            lines.append(line)
        }
        lines.append("server CPU per event (µs) and client CPU per event (µs), COPY contenders:")
        for outcome in copies {
            let events = Double(max(outcome.operations, 1))
            let server = outcome.cost.serverCPU.map { String(format: "%6.2f", $0 / events * 1e6) } ?? "     -"
            let client = String(format: "%6.2f", outcome.cost.clientCPU / events * 1e6)
            lines.append("  \(Self.pad(outcome.name, Self.nameWidth)) server \(server)  client \(client)")
        }
        return lines
    }
}
