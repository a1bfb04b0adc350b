/// How a benchmark's measured run fills its ``Outcome``, shared by the plain and the TLS runs.
extension Outcome {
    /// A timed run of `operations`, with the p50 and p99 of its sorted `latencies`.
    mutating func record(_ cost: Cost, operations: Int, latencies: [Double]) {
        self.cost = cost
        self.operations = operations
        p50 = Measure.quantile(latencies, 0.5)
        p99 = Measure.quantile(latencies, 0.99)
    }

    /// A read of `rows` rows: failed when it read another count, or decoded other values than
    /// the first reader (whose tally `expected` keeps).
    mutating func recordRead(_ cost: Cost, _ tally: ReadBench.Tally, rows: Int, expected: inout ReadBench.Tally?) {
        self.cost = cost
        operations = tally.count
        if tally.count != rows {
            status = .failed("read \(tally.count) rows of \(rows)")
        } else if let expected, expected != tally {
            status = .failed("decoded other values than the first reader (checksum differs)")
        }
        expected = expected ?? tally
    }
}
