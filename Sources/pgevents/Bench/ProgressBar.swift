import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress bar on stderr, redrawn ten times a second while a phase runs, and only when
/// stderr is a terminal (so logs and pipes get no control characters).
final class ProgressBar: Sendable {
    private let label: String
    private let total: Int
    private let done = Atomic<Int>(0)
    private let started = ContinuousClock.now
    private let enabled: Bool

    init(label: String, total: Int) {
        self.label = label
        self.total = total
        self.enabled = isatty(2) != 0
    }

    /// Counts `count` more items done (called by every writer).
    func advance(by count: Int) {
        done.add(count, ordering: .relaxed)
    }

    /// Runs `body` while a task redraws the bar; clears the bar afterwards.
    func showing<T>(_ body: () async throws -> T) async throws -> T {
        guard enabled else { return try await body() }
        let drawer = Task { [self] in
            while !Task.isCancelled {
                draw()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer {
            drawer.cancel()
            Diagnostics.emit("\r\u{1B}[K")
        }
        let result = try await body()
        drawer.cancel()
        _ = await drawer.value
        draw()
        return result
    }

    private func draw() {
        let count = min(done.load(ordering: .relaxed), total)
        let fraction = total == 0 ? 1 : Double(count) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let seconds = (ContinuousClock.now - started).inSeconds
        let rate = seconds > 0 ? Int(Double(count) / seconds) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        Diagnostics.emit(
            "\r\u{1B}[K\(label) [\(bar)] \(Int(fraction * 100))% \(BenchReport.grouped(count))/\(BenchReport.grouped(total)) "
                + "\(BenchReport.grouped(rate))/s")
    }
}
