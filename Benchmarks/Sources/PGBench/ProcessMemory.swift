import Foundation

/// This process's resident memory, from `/proc/self/status` (Linux).
enum ProcessMemory {
    /// A `kB` field of `/proc/self/status` (`VmRSS`, `VmHWM`) in bytes; nil when unreadable.
    static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(String(line.dropFirst(field.count + 1).filter(\.isNumber))).map { $0 * 1024 }
        }
        return nil
    }

    /// The resident set now.
    static var resident: Int? { status("VmRSS") }
    /// The largest resident set since the start, or since the last ``resetPeak()``.
    static var peak: Int? { status("VmHWM") }

    /// Sets the peak (`VmHWM`) to the resident set now: `5` written to `/proc/self/clear_refs`
    /// (Linux 4.0 and later). False when refused; the peak then counts from the process's start.
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// Returns the allocator's free memory to the system (glibc `malloc_trim(0)`).
    static func trim() { _ = glibcMallocTrim(0) }

    static func megabytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
}

/// The resident set during one reader's run: the baseline before, a sample each tenth of the
/// events, the peak after (VmHWM, reset at the start).
struct MemoryWatch {
    let baseline: Int
    let peakReset: Bool
    /// Events between samples.
    let step: Int
    /// (events so far, resident bytes) at every `step` events.
    private(set) var samples: [(events: Int, resident: Int)] = []
    private(set) var peak = 0

    init(events: Int) {
        peakReset = ProcessMemory.resetPeak()
        baseline = ProcessMemory.resident ?? 0
        step = max(1, events / 10)
    }

    /// Called with the running count of events; samples at every `step`.
    @inline(__always)
    mutating func at(_ count: Int) {
        if count % step == 0 { samples.append((count, ProcessMemory.resident ?? 0)) }
    }

    /// Reads the peak once the run is over.
    mutating func finish() {
        peak = ProcessMemory.peak ?? 0
    }

    /// The peak's growth over the baseline, in MB.
    var growthMB: Double { ProcessMemory.megabytes(peak - baseline) }

    /// The growth over the baseline at the first sample (a tenth of the events) and at the last.
    var sampledGrowthMB: (first: Double, last: Double)? {
        guard let first = samples.first, let last = samples.last else { return nil }
        return (ProcessMemory.megabytes(first.resident - baseline), ProcessMemory.megabytes(last.resident - baseline))
    }

    /// For a note: "RSS 41.2 MB before; peak +3.1 MB (VmHWM); at 10% +2.9 MB, at 100% +3.0 MB".
    var description: String {
        var text = String(format: "RSS %.1f MB before; peak %+.1f MB (VmHWM%@)", ProcessMemory.megabytes(baseline), growthMB,
            peakReset ? ", reset at the start" : " since the process started")
        if let (first, last) = sampledGrowthMB {
            text += String(format: "; at 10%% of the events %+.1f MB, at 100%% %+.1f MB", first, last)
        }
        return text
    }
}

/// glibc's `malloc_trim`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
