/// The subscription benchmarks' ratios. Latency rows: p50 and p99 ÷ their goals (1 and 2 ms;
/// at most 1 meets the goal), and ÷ the floors of the same run: the notify floor measured beside
/// the subscriber (same probes, same load) and the barrier floor of the same load (a pass of its
/// own). Catch-up rows of the store: throughput ÷ the plain PGWire keyset read of the same run
/// (the ceiling for a subscriber) and ÷ the goal of 300,000 events/s.
extension Report {
    static let subscriptionRatioLabels = [
        "p50_ratio_to_goal": "p50÷goal",
        "p99_ratio_to_goal": "p99÷goal",
        "p50_ratio_to_notify": "p50÷notify",
        "p99_ratio_to_notify": "p99÷notify",
        "p50_ratio_to_barrier": "p50÷barrier",
        "p99_ratio_to_barrier": "p99÷barrier",
        "ratio_to_plain_read": "÷plain",
        "ratio_to_goal": "÷goal",
    ]

    /// For a subscription row only; the floor rows get none (theirs are on the subscription's).
    func latencyRatios(_ outcome: Outcome) -> [(String, Double)] {
        guard outcome.status == .ok, outcome.library == .pgEventStore, let p50 = outcome.p50, let p99 = outcome.p99
        else { return [] }
        var result = [("p50_ratio_to_goal", p50 / SubscribeLatency.goalP50), ("p99_ratio_to_goal", p99 / SubscribeLatency.goalP99)]
        for (name, key) in [
            ("notify", SubscribeLatency.notifyKey(of: outcome.key)), ("barrier", SubscribeLatency.barrierKey(of: outcome.key)),
        ] {
            guard let floor = outcomes.first(where: { $0.bench == SubscribeLatency.bench && $0.key == key && $0.status == .ok }),
                let floorP50 = floor.p50, let floorP99 = floor.p99, floorP50 > 0, floorP99 > 0
            else { continue }
            result += [("p50_ratio_to_\(name)", p50 / floorP50), ("p99_ratio_to_\(name)", p99 / floorP99)]
        }
        return result
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
