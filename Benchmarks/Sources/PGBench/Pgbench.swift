import Foundation
import PGTestServer

/// libpq's numbers, measured with pgbench on the same server in the same run.
enum Pgbench {
    struct Run {
        /// Transactions per second, "without initial connection time".
        var tps: Double
        /// pgbench's CPU (`RUSAGE_CHILDREN`), connection set-up included (a few milliseconds).
        var clientCPU: Double
        /// Per-transaction latencies in microseconds from its `--log`, sorted.
        var latencies: [Double]
    }

    /// Runs `pgbench -n -M <mode> -c <clients> -j <threads> -t <transactions ÷ clients> -f
    /// <script> --log` and reads its throughput and per-transaction latencies. `transactions` is
    /// the total over all clients (pgbench's `-t` counts per client); each client gets an equal
    /// share, so a count that does not divide evenly runs a few less.
    static func run(
        _ target: Target, script: String, mode: String, transactions: Int, clients: Int = 1, threads: Int = 1
    ) throws -> Run {
        let program = try target.pgbench().get()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgbench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scriptFile = folder.appendingPathComponent("script.sql")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let command = [
            program.path, "-n", "-M", mode, "-c", String(clients), "-j", String(threads),
            "-t", String(max(1, transactions / clients)), "-f", scriptFile.path,
            "--log", "--log-prefix", folder.appendingPathComponent("log").path,
        ] + target.pgbenchConnection
        let cpuBefore = Measure.cpuSeconds(RUSAGE_CHILDREN)
        let process = try ChildProcess(command, directory: folder.path)
        let status = process.waitForExit().status  // reaps it, so RUSAGE_CHILDREN counts it
        let text = String(decoding: process.standardOutput, as: UTF8.self)
        let errorText = String(decoding: process.standardError, as: UTF8.self)
        let cpu = Measure.cpuSeconds(RUSAGE_CHILDREN) - cpuBefore
        // "tps = 52345.123456 (without initial connection time)": finer than "latency average".
        guard status == 0,
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = line.split(separator: " ").dropFirst(2).first.flatMap({ Double($0) })
        else {
            throw BenchError("pgbench failed (status \(status)): \(text) \(errorText)")
        }
        // One log file per pgbench thread: "client_id transaction_no time script_no time_epoch
        // time_us", where time is the transaction's latency in microseconds.
        var latencies: [Double] = []
        latencies.reserveCapacity(transactions)
        let logs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("log") }
        for log in logs {
            let contents = try String(contentsOf: folder.appendingPathComponent(log), encoding: .utf8)
            for line in contents.split(separator: "\n") {
                let fields = line.split(separator: " ", maxSplits: 3)
                if fields.count > 2, let latency = Double(fields[2]) { latencies.append(latency) }
            }
        }
        return Run(tps: tps, clientCPU: cpu, latencies: latencies.sorted())
    }
}
