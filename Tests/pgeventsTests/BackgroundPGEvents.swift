import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `pgevents` process that runs while the test goes on (`tail`): what it printed so far, a
/// way to signal it, and bounded waits for its lines and its end. Killed when dropped, so a
/// failing test leaves no process behind.
final class BackgroundPGEvents {
    private let process = Process()
    private let folder: URL
    private var outPath: String { folder.appendingPathComponent("stdout").path }
    private var errPath: String { folder.appendingPathComponent("stderr").path }

    init(_ arguments: [String], environment: [String: String] = PGEventsProcess.baseEnvironment) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgevents-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: PGEventsProcess.executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// The complete lines printed so far, parsed as JSON objects.
    func jsonLines() throws -> [[String: Any]] {
        let complete = stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return try complete.filter { !$0.isEmpty }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Its exit status once it ended within `timeout`; nil if it still runs.
    func waitForExit(timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
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
