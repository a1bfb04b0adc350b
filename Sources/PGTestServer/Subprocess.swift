import Dispatch
import Foundation
import Synchronization

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

/// Runs short-lived child processes (`initdb`, `psql`) with Foundation's `Process`, never
/// blocking forever.
///
/// Output goes to anonymous (already unlinked) temporary files rather than pipes, so a
/// grandchild that keeps a descriptor open can never make us wait for an end of file, and
/// no pipe buffer can fill up and stall the child.
///
/// Not for a command that leaves a process running (`pg_ctl start`): on Linux, Foundation
/// sees a child end only when every holder of a socket it gives the child has closed it,
/// which a process left running never does; the call would time out. The server is run by
/// ``ServerProcess`` instead.
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
        guard let executable = command.first else {
            throw TestServerError("empty command")
        }
        let stdout = try AnonymousFile()
        let stderr = try AnonymousFile()
        let stdin: AnonymousFile?
        if let input {
            let file = try AnonymousFile()
            try file.write(input)
            stdin = file
        } else {
            stdin = nil
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        // "/" is reachable by every user; the caller's directory may not be (root's home).
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        process.standardInput = stdin?.handle ?? FileHandle.nullDevice
        process.standardOutput = stdout.handle
        process.standardError = stderr.handle
        let exited = ExitSignal()
        process.terminationHandler = { _ in exited.fire() }

        do {
            try process.run()
        } catch {
            throw TestServerError("could not run \(executable): \(error)", command: command)
        }

        if !exited.wait(timeout: timeout) {
            process.terminate()
            if !exited.wait(timeout: .seconds(2)) {
                kill(process.processIdentifier, SIGKILL)
                _ = exited.wait(timeout: .seconds(2))
            }
            let output = CommandResult(status: -1, stdout: stdout.contents(), stderr: stderr.contents())
            throw TestServerError(
                "timed out after \(timeout)",
                command: command,
                output: output.combinedOutput
            )
        }
        return CommandResult(
            status: process.terminationStatus,
            stdout: stdout.contents(),
            stderr: stderr.contents()
        )
    }

    /// The environment for children: ours without any `PG*` variable, so that a `PGHOST`,
    /// `PGPORT`, `PGDATA` or `PGOPTIONS` of the caller cannot redirect or change them.
    static func cleanEnvironment(adding extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment.merge(extra) { _, new in new }
        return environment
    }
}

/// A temporary file that has no name: created with `mkstemp` and unlinked at once, so
/// nothing is left behind even if the process dies.
private final class AnonymousFile {
    let handle: FileHandle

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/pgtestserver-io-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw TestServerError("could not create a temporary file: \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func write(_ text: String) throws {
        try handle.write(contentsOf: Data(text.utf8))
        try handle.seek(toOffset: 0)
    }

    /// Everything written so far, decoded as UTF-8 (invalid bytes repaired).
    func contents() -> String {
        let descriptor = handle.fileDescriptor
        var data = Data()
        var offset: off_t = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
            offset += off_t(count)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Tells waiters that a process has exited.
final class ExitSignal: Sendable {
    private let fired = Mutex(false)
    private let semaphore = DispatchSemaphore(value: 0)

    var hasFired: Bool {
        fired.withLock { $0 }
    }

    func fire() {
        fired.withLock { $0 = true }
        semaphore.signal()
    }

    /// Waits up to `timeout` for the exit; returns whether it happened.
    func wait(timeout: Duration) -> Bool {
        if hasFired { return true }
        guard semaphore.wait(timeout: .now() + timeout.dispatchInterval) == .success else { return false }
        semaphore.signal()  // for the next waiter
        return true
    }
}

extension Duration {
    /// This duration for Dispatch's deadlines.
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        guard seconds < 1_000_000_000 else { return .never }
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
