import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished child process left behind.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Standard output and standard error together, for error messages.
    var combinedOutput: String {
        [stdout, stderr].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .joined(separator: "\n")
    }
}

/// Runs short-lived child processes (`initdb`, `psql`) with ``ChildProcess``, never
/// blocking forever.
///
/// Output is captured through pipes read as it comes, so no pipe buffer can fill up and stall
/// the child; a grandchild that keeps a pipe open delays the result by half a second at most.
/// The server itself, which stays running, is run by ``ServerProcess``.
enum Subprocess {
    /// Runs `command` (its first element is the executable's path) and waits for it.
    ///
    /// - Parameters:
    ///   - input: Written to the child's standard input; `nil` gives it `/dev/null`.
    ///   - environment: The child's complete environment.
    ///   - timeout: After this, the child gets SIGTERM, then SIGKILL, and the call throws.
    /// - Returns: The exit status and output; a non-zero status is not an error here.
    static func run(
        _ command: [String],
        input: String? = nil,
        environment: [String: String],
        timeout: Duration
    ) throws -> CommandResult {
        guard !command.isEmpty else {
            throw TestServerError("empty command")
        }
        // "/" is reachable by every user; the caller's directory may not be (root's home).
        let result = try ChildProcess.run(
            command, environment: environment, directory: "/", input: input.map { Array($0.utf8) }, timeout: timeout)
        let output = CommandResult(status: result.status, stdout: result.stdoutText, stderr: result.stderrText)
        if result.timedOut {
            throw TestServerError(
                "timed out after \(timeout)",
                command: command,
                output: output.combinedOutput
            )
        }
        return output
    }

    /// The environment for children: ours without any `PG*` variable, so that a `PGHOST`,
    /// `PGPORT`, `PGDATA` or `PGOPTIONS` of the caller cannot redirect or change them.
    static func cleanEnvironment(adding extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment.merge(extra) { _, new in new }
        return environment
    }
}
