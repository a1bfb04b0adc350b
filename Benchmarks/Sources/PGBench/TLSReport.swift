import Foundation

/// The `--tls` run's ratios and its TLS table: each contender's plaintext and TLS throughput
/// side by side, and the two goals of issue 19. A TLS row is compared with its own plaintext row;
/// a PGWire row with libpq's row of the same method and the same side (TLS with TLS).
extension Report {
    static let tlsRatioLabels = ["tls_ratio_to_plain": "TLS÷plain"]

    /// Round trips: PGWire over TLS at least 0.9 of libpq over TLS.
    static let tlsRoundTripGoal = 0.9
    /// Append: TLS costs the binary COPY less than 10 % of its plaintext throughput.
    static let tlsAppendCostGoal = 0.10

    func tlsRatios(_ outcome: Outcome) -> [(String, Double)] {
        guard let rate = outcome.rate, let (base, suffix) = Self.tlsSide(outcome.key) else { return [] }
        var result: [(String, Double)] = []
        if outcome.library == .pgwire,
            let libpq = outcomes.first(where: {
                $0.bench == outcome.bench && $0.library == .libpq && $0.method == outcome.method
                    && Self.tlsSide($0.key)?.suffix == suffix && $0.rate != nil
            })?.rate
        {
            result.append(("ratio_to_libpq", rate / libpq))
        }
        if suffix == TLSBench.tlsSuffix, let plain = tlsPeer(outcome.bench, base, TLSBench.plainSuffix)?.rate {
            result.append(("tls_ratio_to_plain", rate / plain))
        }
        return result
    }

    /// `key` split into the contender and its side (`plain` or `tls`), or nil for another row.
    static func tlsSide(_ key: String) -> (base: String, suffix: String)? {
        for suffix in [TLSBench.plainSuffix, TLSBench.tlsSuffix] where key.hasSuffix("-" + suffix) {
            return (String(key.dropLast(suffix.count + 1)), suffix)
        }
        return nil
    }

    private func tlsPeer(_ bench: String, _ base: String, _ suffix: String) -> Outcome? {
        outcomes.first { $0.bench == bench && $0.key == "\(base)-\(suffix)" }
    }

    /// After the summary: one row per contender with its plaintext and TLS figures, then the goals.
    func printTLSTable() {
        print("\n=== TLS: plaintext (sslmode=disable) and TLS (sslmode=require), same server, same run ===")
        let header = [
            Self.pad("bench", 9), Self.pad("contender", 30), Self.pad("unit", 7), Self.pad("plain /s", -12),
            Self.pad("TLS /s", -12), Self.pad("TLS÷plain", -9), Self.pad("p50 plain", -10), Self.pad("p50 TLS", -10),
        ]
        print(header.joined(separator: " ") + "  (p50 in µs)")
        func column(_ value: Double?, _ digits: Int, _ width: Int) -> String {
            Self.pad(value.map { String(format: "%.\(digits)f", $0) } ?? "-", -width)
        }
        for plain in outcomes {
            guard let (base, suffix) = Self.tlsSide(plain.key), suffix == TLSBench.plainSuffix else { continue }
            let tls = tlsPeer(plain.bench, base, TLSBench.tlsSuffix)
            let name = plain.name.hasSuffix(", plain") ? String(plain.name.dropLast(7)) : plain.name
            let ratio = plain.rate.flatMap { p in tls?.rate.map { $0 / p } }
            print([
                Self.pad(plain.bench, 9), Self.pad(String(name.prefix(30)), 30), Self.pad(plain.unit, 7),
                column(plain.rate, 0, 12), column(tls?.rate, 0, 12), column(ratio, 3, 9),
                column(plain.p50, 1, 10), column(tls?.p50, 1, 10),
            ].joined(separator: " "))
        }
        printTLSGoals()
    }

    private func printTLSGoals() {
        func rate(_ bench: String, _ key: String) -> Double? { outcomes.first { $0.bench == bench && $0.key == key }?.rate }
        let roundTrip = RoundTrip.bench
        let pgwireTLS = rate(roundTrip, "pgwire-query-tls"), libpqTLS = rate(roundTrip, "pgbench-prepared-tls")
        let pgwirePlain = rate(roundTrip, "pgwire-query-plain"), libpqPlain = rate(roundTrip, "pgbench-prepared-plain")
        let copyPlain = rate(AppendBench.bench, "pgwire-copy-plain"), copyTLS = rate(AppendBench.bench, "pgwire-copy-tls")
        print("goals:")
        var json: [String] = []
        if let pgwireTLS, let libpqTLS {
            let ratio = pgwireTLS / libpqTLS
            let met = ratio >= Self.tlsRoundTripGoal
            let plain = pgwirePlain.flatMap { p in libpqPlain.map { String(format: "; in plaintext %.3f", p / $0) } } ?? ""
            print(String(format: "  round trip PGWire TLS / libpq TLS: %.3f (goal ≥ %.1f: ", ratio, Self.tlsRoundTripGoal)
                + (met ? "met)" : "NOT met)") + plain)
            json.append(goalJSON("roundtrip_pgwire_tls_to_libpq_tls", ratio, "minimum", Self.tlsRoundTripGoal, met))
        } else {
            print("  round trip PGWire TLS / libpq TLS: - (roundtrip not run, or a row of it failed)")
        }
        if let copyPlain, let copyTLS {
            let cost = 1 - copyTLS / copyPlain
            let met = cost < Self.tlsAppendCostGoal
            print(String(format: "  append cost of TLS, 1 - TLS/plain of PGWire binary COPY: %.1f %% (goal < %.0f %%: ", cost * 100, Self.tlsAppendCostGoal * 100)
                + (met ? "met)" : "NOT met)"))
            json.append(goalJSON("append_tls_cost", cost, "maximum", Self.tlsAppendCostGoal, met))
        } else {
            print("  append cost of TLS: - (append not run, or a row of it failed)")
        }
        for line in json { print(line) }
    }

    private func goalJSON(_ name: String, _ value: Double, _ bound: String, _ goal: Double, _ met: Bool) -> String {
        "{\"bench\":\"tls\",\"goal\":\"\(name)\",\"value\":\(String(format: "%.4f", value)),\"\(bound)\":\(goal),\"met\":\(met)}"
    }
}
