import PGEventStore

/// What one phase of the benchmark measured.
struct PhaseResult: Sendable {
    /// Events appended or rows read.
    var count: Int
    var wall: Duration
    /// This process's CPU time during the phase.
    var cpuSeconds: Double
    /// Each append's latency (empty for reads).
    var batchLatencies: [Duration] = []
    /// The serving backend's CPU time during the phase, when it could be read (one writer,
    /// server on this machine).
    var serverCPUSeconds: Double?

    var perSecond: Double { wall.inSeconds > 0 ? Double(count) / wall.inSeconds : 0 }
}

/// The two timed phases: parallel batched appends, then one read of everything back.
enum BenchPhases {
    /// `workload.writers` tasks append their slices at once, each batch one `append`.
    static func append(_ workload: BenchWorkload, to store: EventStore, backend: BackendCPU?) async throws -> PhaseResult {
        let progress = ProgressBar(label: "append", total: workload.events)
        let cpu = ProcessCPU.seconds()
        let serverCPU = backend?.seconds()
        let start = ContinuousClock.now
        let latencies = try await progress.showing {
            try await withThrowingTaskGroup(of: [Duration].self) { group in
                for writer in 0..<workload.writers {
                    group.addTask {
                        var latencies: [Duration] = []
                        try await workload.forEachBatch(ofWriter: writer) { batch in
                            let writes = try workload.writes(for: batch)
                            let sent = ContinuousClock.now
                            try await store.append(writes)
                            latencies.append(ContinuousClock.now - sent)
                            progress.advance(by: batch.count)
                        }
                        return latencies
                    }
                }
                var all: [Duration] = []
                for try await latencies in group { all += latencies }
                return all
            }
        }
        return PhaseResult(
            count: workload.events, wall: ContinuousClock.now - start, cpuSeconds: ProcessCPU.seconds() - cpu,
            batchLatencies: latencies, serverCPUSeconds: difference(backend?.seconds(), serverCPU))
    }

    /// Reads every event back in the global order, page by page.
    static func readBack(_ store: EventStore, expected: Int, backend: BackendCPU?) async throws -> PhaseResult {
        let progress = ProgressBar(label: "read  ", total: expected)
        let cpu = ProcessCPU.seconds()
        let serverCPU = backend?.seconds()
        let start = ContinuousClock.now
        let count = try await progress.showing {
            var count = 0
            for try await _ in store.readAll() {
                count += 1
                if count % 1_000 == 0 { progress.advance(by: 1_000) }
            }
            return count
        }
        let result = PhaseResult(
            count: count, wall: ContinuousClock.now - start, cpuSeconds: ProcessCPU.seconds() - cpu,
            serverCPUSeconds: difference(backend?.seconds(), serverCPU))
        guard count == expected else {
            throw CommandFailure("the read-back found \(count) events, not the \(expected) appended")
        }
        return result
    }

    private static func difference(_ after: Double?, _ before: Double?) -> Double? {
        guard let after, let before else { return nil }
        return after - before
    }
}
