/// The benchmark's results as a table for people or one JSON line for machines.
struct BenchReport {
    let workload: BenchWorkload
    let server: String
    let schema: String
    let append: PhaseResult
    let read: PhaseResult

    /// Nearest-rank percentile `p` (0...1) of the batch latencies, in milliseconds.
    func latencyMilliseconds(_ p: Double) -> Double {
        let sorted = append.batchLatencies.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = max(1, Int((p * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1].inSeconds * 1_000
    }

    func table() -> String {
        let writers = workload.writers == 1 ? "1 writer" : "\(workload.writers) writers"
        var text = "pgevents bench: \(Self.grouped(workload.events)) events in batches of \(Self.grouped(workload.batchSize)) "
        text += "over \(Self.grouped(workload.streams)) streams, \(writers)\n"
        text += "server: \(server), schema \(schema)\n\n"
        let header = ["phase", "events", "wall s", "events/s", "client CPU s", "batch p50 ms", "batch p99 ms"]
        let rows = [
            [
                "append", Self.grouped(append.count), Self.fixed(append.wall.inSeconds, 3), Self.grouped(Int(append.perSecond)),
                Self.fixed(append.cpuSeconds, 3), Self.fixed(latencyMilliseconds(0.5), 2), Self.fixed(latencyMilliseconds(0.99), 2),
            ],
            [
                "read", Self.grouped(read.count), Self.fixed(read.wall.inSeconds, 3), Self.grouped(Int(read.perSecond)),
                Self.fixed(read.cpuSeconds, 3), "", "",
            ],
        ]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let cells = row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return column == 0 ? row[column] + padding : padding + row[column]
            }
            var line = cells.joined(separator: "   ")
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        if let appendServer = append.serverCPUSeconds, let readServer = read.serverCPUSeconds {
            text += "\nserver CPU s (the backend, /proc): append \(Self.fixed(appendServer, 3)), read \(Self.fixed(readServer, 3))\n"
        }
        return text
    }

    func json() -> String {
        var appendJSON = JSONWriter()
        appendJSON.integer("events", append.count)
        appendJSON.number("wall_seconds", append.wall.inSeconds, decimals: 4)
        appendJSON.number("events_per_second", append.perSecond, decimals: 1)
        appendJSON.number("cpu_seconds", append.cpuSeconds, decimals: 4)
        if let server = append.serverCPUSeconds { appendJSON.number("server_cpu_seconds", server, decimals: 4) }
        appendJSON.integer("batches", append.batchLatencies.count)
        appendJSON.number("batch_p50_ms", latencyMilliseconds(0.5), decimals: 3)
        appendJSON.number("batch_p99_ms", latencyMilliseconds(0.99), decimals: 3)
        var readJSON = JSONWriter()
        readJSON.integer("rows", read.count)
        readJSON.number("wall_seconds", read.wall.inSeconds, decimals: 4)
        readJSON.number("rows_per_second", read.perSecond, decimals: 1)
        readJSON.number("cpu_seconds", read.cpuSeconds, decimals: 4)
        if let server = read.serverCPUSeconds { readJSON.number("server_cpu_seconds", server, decimals: 4) }
        var json = JSONWriter()
        json.integer("events", workload.events)
        json.integer("batch", workload.batchSize)
        json.integer("streams", workload.streams)
        json.integer("writers", workload.writers)
        json.string("server", server)
        json.string("schema", schema)
        json.raw("append", appendJSON.finished())
        json.raw("read", readJSON.finished())
        return String(decoding: json.finished(), as: UTF8.self) + "\n"
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// `value` with exactly `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = String(abs(scaled % Int64(scale)))
        guard decimals > 0 else { return String(whole) }
        return (value < 0 && whole == 0 ? "-" : "") + String(whole) + "."
            + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
