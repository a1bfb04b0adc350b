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

/// The running `postgres` server, a child process of ours.
///
/// The server runs as a ``ChildProcess`` of our own rather than through `pg_ctl start`, so we
/// see it end and can signal it. Owning the server also lets ``waitUntilReady(timeout:)`` and
/// ``stop(mode:timeout:)`` poll in milliseconds where `pg_ctl -w` polls every 100 ms.
final class ServerProcess: Sendable {
    /// How a server shuts down, by the signal that asks for it.
    enum ShutdownMode {
        /// SIGINT: ends sessions, rolls back their transactions, writes a checkpoint.
        case fast
        /// SIGQUIT: ends at once; the next start runs crash recovery.
        case immediate

        var signal: Int32 {
            switch self {
            case .fast: SIGINT
            case .immediate: SIGQUIT
            }
        }
    }

    let dataDirectory: String
    private let process: ChildProcess
    /// The server's process id, from `postmaster.pid`, once it is ready; with
    /// `runuser` in between, our child is not the server itself.
    private let serverPID = Mutex<pid_t?>(nil)
    /// The `postmaster.pid` an earlier server left behind (it did not stop cleanly), which
    /// must not be mistaken for ours: its process id may belong to anyone by now.
    private let stale: PostmasterPIDFile?

    /// Starts `command` (a `postgres -D dataDirectory`, perhaps behind a user switch), with
    /// its output appended to the log at `logPath`.
    init(command: [String], dataDirectory: String, logPath: String, account: ServerAccount) throws {
        self.dataDirectory = dataDirectory
        self.stale = PostmasterPIDFile(dataDirectory: dataDirectory)
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else {
            throw TestServerError("could not open \(logPath): \(String(cString: strerror(errno)))")
        }
        defer { close(log) }  // the server has its own copy
        try account.hand(logPath)
        process = try ChildProcess(
            command, environment: Subprocess.cleanEnvironment(), directory: "/",
            stdin: .null, stdout: .descriptor(log), stderr: .standardOutput)
    }

    var isRunning: Bool {
        process.isRunning
    }

    /// Waits until the server reports in `postmaster.pid` that it accepts connections.
    func waitUntilReady(timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(1)
        while ContinuousClock.now < deadline {
            if !isRunning {
                throw TestServerError("the server exited while starting")
            }
            if let file = currentPIDFile(), file.status == "ready" {
                serverPID.withLock { $0 = file.pid }
                return
            }
            _ = process.waitForExit(timeout: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
        throw TestServerError("the server did not become ready within \(timeout)")
    }

    /// Asks the server to shut down and waits until it has; if it does not within
    /// `timeout`, shuts it down immediately, then kills it.
    ///
    /// - Returns: Whether the server is gone.
    @discardableResult
    func stop(mode: ShutdownMode, timeout: Duration = .seconds(60)) -> Bool {
        var plan: [(signal: Int32, wait: Duration)] = [(mode.signal, timeout)]
        if mode == .fast {
            plan.append((ShutdownMode.immediate.signal, .seconds(10)))
        }
        plan.append((SIGKILL, .seconds(10)))
        for step in plan {
            guard isRunning else { return true }
            signalServer(step.signal)
            if process.waitForExit(timeout: step.wait) { return true }
        }
        return !isRunning
    }

    /// Sends `signal` to the server itself (found through `postmaster.pid` when it started
    /// but has not said so yet), or to our child if there is no server yet.
    private func signalServer(_ signal: Int32) {
        let pid = serverPID.withLock { $0 } ?? currentPIDFile()?.pid
        if let pid, pid > 0 {
            kill(pid, signal)
        }
        // Our child is the server itself or the user switch (runuser) in front of it, which
        // ends with it. Signal the child when there is no server to signal, and kill both.
        if pid == nil || signal == SIGKILL {
            process.signal(signal)
        }
    }

    /// `postmaster.pid` if our server wrote it.
    private func currentPIDFile() -> PostmasterPIDFile? {
        guard let file = PostmasterPIDFile(dataDirectory: dataDirectory), !file.isSameServer(as: stale) else {
            return nil
        }
        return file
    }
}

/// The server's `postmaster.pid`: its lock file and status report.
struct PostmasterPIDFile {
    /// The server's process id (line 1).
    let pid: pid_t
    /// When it started, in seconds since 1970 (line 3); with the id, tells one server from
    /// an earlier one.
    let startTime: String
    /// `starting`, `ready`, `stopping` or `standby` (line 8).
    let status: String

    /// Reads the file; `nil` if there is none or it is still being written.
    init?(dataDirectory: String) {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else {
            return nil
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 8, let pid = pid_t(lines[0].trimmingCharacters(in: .whitespaces)) else { return nil }
        self.pid = pid
        self.startTime = String(lines[2])
        self.status = lines[7].trimmingCharacters(in: .whitespaces)
    }

    /// Whether both files come from the same run of a server.
    func isSameServer(as other: PostmasterPIDFile?) -> Bool {
        pid == other?.pid && startTime == other?.startTime
    }
}
