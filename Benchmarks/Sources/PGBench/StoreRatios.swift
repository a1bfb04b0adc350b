/// The store benchmark's ratios. Its appends are compared with what the server alone can load
/// (the store's own events table and hindsight's, from a file) and with postgres-nio's best
/// append without any version check; its single-event appends with a bare INSERT's latency.
extension Report {
    static let storeRatioLabels = [
        "ratio_to_ceiling_store": "÷ceiling(store)",
        "ratio_to_ceiling_store_batched": "÷ceiling(store, batched)",
        "ratio_to_ceiling_hindsight": "÷ceiling(hindsight)",
        "ratio_to_nio_best": "÷nio-best",
        "ratio_to_no_copy": "÷no-COPY",
        "p50_ratio_to_bare_insert": "p50÷bare",
    ]

    /// For a PGEventStore row: its throughput ÷ each ceiling's and ÷ postgres-nio's best (from
    /// this benchmark or the append benchmark of the same run); a COPY-path row also ÷ the
    /// one-round-trip path at the same batch size (above 1: COPY wins there). A single-event
    /// row: its p50 ÷ the bare INSERT's p50. Other rows of the benchmark get none.
    func storeRatios(_ outcome: Outcome) -> [(String, Double)] {
        guard outcome.library == .pgEventStore, outcome.status == .ok else { return [] }
        func peer(_ key: String) -> Outcome? {
            outcomes.first { $0.bench == StoreBench.bench && $0.key == key && $0.status == .ok }
        }
        if outcome.method == SingleAppends.method {
            guard let p50 = outcome.p50, let bare = peer(SingleAppends.bareKey)?.p50, bare > 0 else { return [] }
            return [("p50_ratio_to_bare_insert", p50 / bare)]
        }
        guard let rate = outcome.rate else { return [] }
        var result: [(String, Double)] = []
        let ceilings = [
            ("ratio_to_ceiling_store", StoreCeilings.oneTransactionKey),
            ("ratio_to_ceiling_store_batched", StoreCeilings.batchedKey),
            ("ratio_to_ceiling_hindsight", HindsightCeiling.key),
        ]
        for (name, key) in ceilings {
            if let ceiling = peer(key)?.rate { result.append((name, rate / ceiling)) }
        }
        let nio = outcomes.filter {
            ($0.bench == AppendBench.bench || $0.bench == StoreBench.bench) && $0.library == .postgresNIO
        }
        if let best = nio.compactMap(\.rate).max() { result.append(("ratio_to_nio_best", rate / best)) }
        if outcome.method == StoreBench.copyMethod,
            let other = peer(outcome.key.replacingOccurrences(of: StoreBench.copyMethod, with: StoreBench.unnestMethod))?.rate
        {
            result.append(("ratio_to_no_copy", rate / other))
        }
        return result
    }
}
