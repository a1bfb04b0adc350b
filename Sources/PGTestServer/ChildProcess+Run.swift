import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ChildProcess {
    /// What a child run by ``run(_:environment:directory:input:timeout:)`` left behind.
    public struct Result: Sendable {
        /// How it ended; `nil` only if it outlived even SIGKILL after the timeout.
        public var termination: Termination?
        /// Everything it wrote to standard output.
        public var stdout: [UInt8]
        /// Everything it wrote to standard error.
        public var stderr: [UInt8]
        /// Whether it ran out of time and was stopped (SIGTERM, then SIGKILL).
        public var timedOut: Bool

        /// The exit status, or the signal number that ended it; -1 if it did not end.
        public var status: Int32 { termination?.status ?? -1 }

        /// Standard output as UTF-8 (invalid bytes repaired).
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

        /// Standard error as UTF-8 (invalid bytes repaired).
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs `command` to its end, capturing its standard output and standard error apart.
    ///
    /// Blocks the calling thread: from async code, call it through ``onOwnThread(_:)``.
    ///
    /// - Parameters:
    ///   - command: The executable's path, then the arguments.
    ///   - environment: The child's complete environment; ours when `nil`.
    ///   - directory: The child's working directory; ours when `nil`.
    ///   - input: Its standard input, then end of file; `nil` gives it `/dev/null`.
    ///   - timeout: After this the child gets SIGTERM, 2 s later SIGKILL, and the result says
    ///     ``Result/timedOut``.
    /// - Returns: The output and how it ended; a non-zero status is not an error here.
    /// - Throws: ``TestServerError`` when it cannot be started.
    public static func run(
        _ command: [String],
        environment: [String: String]? = nil,
        directory: String? = nil,
        input: [UInt8]? = nil,
        timeout: Duration
    ) throws -> Result {
        let child = try ChildProcess(
            command, environment: environment, directory: directory, stdin: input.map { .bytes($0) } ?? .null)
        var timedOut = false
        if !child.waitForExit(timeout: timeout) {
            timedOut = true
            child.terminate()
            if !child.waitForExit(timeout: .seconds(2)) {
                child.kill()
                _ = child.waitForExit(timeout: .seconds(5))
            }
        }
        return Result(
            termination: child.termination, stdout: child.standardOutput, stderr: child.standardError,
            timedOut: timedOut)
    }
}
