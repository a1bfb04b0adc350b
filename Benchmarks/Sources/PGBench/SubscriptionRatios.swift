/// The subscription benchmarks' ratios. Latency rows: p50 and p99 ÷ their goals (1 and 2 ms;
/// at most 1 meets the goal). Catch-up rows of the store: throughput ÷ the plain PGWire keyset
/// read of the same run (the ceiling for a subscriber) and ÷ the goal of 300,000 events/s.
extension Report {
    static let subscriptionRatioLabels = [
        "p50_ratio_to_goal": "p50÷goal",
        "p99_ratio_to_goal": "p99÷goal",
        "ratio_to_plain_read": "÷plain",
        "ratio_to_goal": "÷goal",
    ]

    func latencyRatios(_ outcome: Outcome) -> [(String, Double)] {
        guard outcome.status == .ok, let p50 = outcome.p50, let p99 = outcome.p99 else { return [] }
        return [("p50_ratio_to_goal", p50 / SubscribeLatency.goalP50), ("p99_ratio_to_goal", p99 / SubscribeLatency.goalP99)]
    }

    func catchUpRatios(_ outcome: Outcome) -> [(String, Double)] {
        guard outcome.library == .pgEventStore, outcome.key != "fill", let rate = outcome.rate else { return [] }
        var result: [(String, Double)] = []
        if let plain = outcomes.first(where: { $0.bench == CatchUpBench.bench && $0.key == CatchUpBench.plainKey })?.rate {
            result.append(("ratio_to_plain_read", rate / plain))
        }
        result.append(("ratio_to_goal", rate / CatchUpBench.goal))
        return result
    }
}
