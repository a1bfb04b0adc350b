import Foundation

/// What one timed run cost.
struct Cost {
    /// Wall-clock seconds.
    var wall: Double
    /// User + system CPU seconds of this process (`getrusage(RUSAGE_SELF)`): PGWire, or
    /// postgres-nio with its event-loop threads, which run in this process too.
    var clientCPU: Double
    /// CPU seconds of the server processes serving the run's connections (from
    /// `/proc/<pid>/stat`), when the server runs on this machine.
    var serverCPU: Double?
}

enum Measure {
    /// Monotonic nanoseconds, for per-query latencies.
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// User + system CPU seconds of this process, or of its reaped children.
    static func cpuSeconds(_ who: __rusage_who = RUSAGE_SELF) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// User + system CPU seconds of process `pid` (utime and stime of `/proc/<pid>/stat`), or
    /// nil when it cannot be read (a server on another machine).
    static func processCPUSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Runs `body` and measures its wall time, this process's CPU time and the CPU time of the
    /// server processes `serverPIDs`.
    static func run(serverPIDs: [Int32], _ body: () async throws -> Void) async throws -> Cost {
        let serverBefore = serverPIDs.map(processCPUSeconds)
        let cpuBefore = cpuSeconds()
        let start = nanoseconds()
        try await body()
        let wall = Double(nanoseconds() - start) / 1e9
        let cpu = cpuSeconds() - cpuBefore
        let serverAfter = serverPIDs.map(processCPUSeconds)
        var server: Double? = serverPIDs.isEmpty ? nil : 0
        for (before, after) in zip(serverBefore, serverAfter) {
            if let before, let after, let total = server { server = total + after - before } else { server = nil }
        }
        return Cost(wall: wall, clientCPU: cpu, serverCPU: server)
    }

    /// The `fraction` quantile (0.5, 0.99) of `values`, by the nearest-rank method.
    static func quantile(_ sorted: [Double], _ fraction: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
