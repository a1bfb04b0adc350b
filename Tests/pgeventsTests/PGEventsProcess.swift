import Foundation
import PGTestServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `pgevents` executable as a child process, as a user would.
enum PGEventsProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// Non-empty stdout lines.
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// stdout lines parsed as JSON objects.
        func jsonLines() throws -> [[String: Any]] {
            try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
    }

    /// The executable: `PGEVENTS_EXECUTABLE` if set, else `pgevents` in the folder of this test
    /// binary (the build's products folder), else `.build/debug/pgevents` of this package.
    static let executable: String = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["PGEVENTS_EXECUTABLE"], !path.isEmpty { return path }
        var candidates: [String] = []
        if let testBinary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((testBinary as NSString).deletingLastPathComponent + "/pgevents")
        }
        candidates.append((CommandLine.arguments[0] as NSString).deletingLastPathComponent + "/pgevents")
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.path + "/.build/debug/pgevents")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    /// A minimal environment: no `DATABASE_URL` and no `PG*` variable, so only what a test
    /// adds chooses the server.
    static var baseEnvironment: [String: String] {
        let current = ProcessInfo.processInfo.environment
        var environment = ["LANG": "C.UTF-8"]
        for key in ["PATH", "HOME", "TMPDIR"] { environment[key] = current[key] }
        return environment
    }

    /// Runs `pgevents arguments...`; `stdin` is fed to its standard input.
    static func run(
        _ arguments: [String], environment: [String: String] = baseEnvironment, stdin: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> Result {
        // The wait blocks a thread: not one of the cooperative pool's two (see onOwnThread).
        let (result, timedOut) = try await onOwnThread {
            try runBlocking(arguments, environment: environment, stdin: stdin, timeout: timeout)
        }
        if timedOut {
            Issue.record("pgevents \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        return result
    }

    private static func runBlocking(
        _ arguments: [String], environment: [String: String], stdin: String?, timeout: Duration
    ) throws -> (Result, timedOut: Bool) {
        let child = try ChildProcess(
            [executable] + arguments, environment: environment, stdin: .bytes(Array((stdin ?? "").utf8)))
        let timedOut = !child.waitForExit(timeout: timeout)
        if timedOut {
            child.kill()
            child.waitForExit()
        }
        let result = Result(
            status: child.termination?.status ?? -1,
            stdout: String(decoding: child.standardOutput, as: UTF8.self),
            stderr: String(decoding: child.standardError, as: UTF8.self))
        return (result, timedOut)
    }
}
