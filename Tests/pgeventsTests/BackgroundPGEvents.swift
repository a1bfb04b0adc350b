import Foundation
import PGTestServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `pgevents` process that runs while the test goes on (`tail`): what it printed so far, a
/// way to signal it, and bounded waits for its lines and its end. Killed when dropped, so a
/// failing test leaves no process behind.
final class BackgroundPGEvents {
    private let process: ChildProcess

    init(_ arguments: [String], environment: [String: String] = PGEventsProcess.baseEnvironment) throws {
        process = try ChildProcess([PGEventsProcess.executable] + arguments, environment: environment)
    }

    deinit {
        if process.isRunning {
            process.kill()
            process.waitForExit()
        }
    }

    var stdout: String { String(decoding: process.standardOutput, as: UTF8.self) }
    var stderr: String { String(decoding: process.standardError, as: UTF8.self) }

    /// The complete lines printed so far, parsed as JSON objects.
    func jsonLines() throws -> [[String: Any]] {
        let complete = stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return try complete.filter { !$0.isEmpty }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) {
        process.signal(number)
    }

    /// Its exit status once it ended within `timeout`; nil if it still runs.
    func waitForExit(timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.termination?.status
    }

    /// Waits until it has printed at least `count` complete lines, or `timeout` passed, or it
    /// ended; returns whether the lines came.
    func waitForLines(_ count: Int, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while try jsonLines().count < count {
            guard ContinuousClock.now < deadline, process.isRunning else { return try jsonLines().count >= count }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
