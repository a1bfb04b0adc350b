import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, for tests and for ``TestServer`` itself: a
/// replacement for Foundation's `Process`.
///
/// Foundation's `Process.run()` in Swift 6.3.1 crashes now and then (SIGSEGV in `memcpy`)
/// when it lists `/proc/self/fd` in a process with many open descriptors, such as a test run
/// (swift-corelibs-foundation PR #5472); and the children it starts inherit the nearly full
/// signal mask of its spawning thread, so a program that does not reset it never sees SIGTERM.
/// A `ChildProcess` instead starts the child with:
///
/// - exactly the given environment and arguments (`command[0]` is the executable's path; no
///   `PATH` search) and, if given, working directory;
/// - an empty signal mask and default dispositions for the common signals (an ignored SIGPIPE
///   or SIGINT of ours is not passed on);
/// - standard input from `/dev/null`, given bytes or a descriptor of ours; standard output and
///   standard error to `/dev/null`, a descriptor of ours, or captured through pipes;
/// - no other descriptor of ours: every one from 3 up is closed in the child.
///
/// Captured output is read by a thread of its own as it comes, so a chatty child never stalls
/// on a full pipe; ``standardOutput`` and ``standardError`` show what came so far. Another
/// thread waits for the child's exit and reaps it; ``signal(_:)`` never reaches a process
/// that merely reused the id. Dropping a `ChildProcess` does not stop the child.
///
/// The waits block their thread: from async code, call them through ``onOwnThread(_:)``.
public final class ChildProcess: Sendable {
    /// Where the child's standard input comes from.
    public enum Input: Sendable {
        /// `/dev/null`: the child reads end of file at once.
        case null
        /// These bytes, then end of file.
        case bytes([UInt8])
        /// A descriptor of ours (the child gets a duplicate; ours stays open).
        case descriptor(Int32)
    }

    /// Where the child's standard output or standard error goes.
    public enum Output: Sendable {
        /// `/dev/null`.
        case null
        /// A pipe that this object reads: see ``standardOutput`` and ``standardError``.
        case capture
        /// A descriptor of ours, such as a log file opened for appending (the child gets a
        /// duplicate; ours stays open).
        case descriptor(Int32)
        /// For standard error only: wherever standard output goes, interleaved with it (`2>&1`).
        case standardOutput
    }

    /// How the child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status (0 to 255).
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)

        /// The exit status, or the number of the signal that ended it, as Foundation's
        /// `Process.terminationStatus` gives it.
        public var status: Int32 {
            switch self {
            case .exited(let status), .signaled(let status): status
            }
        }

        /// `exit status 3` or `signal 9`.
        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signaled(let signal): "signal \(signal)"
            }
        }
    }

    /// The command: the executable's path, then the arguments.
    public let command: [String]
    /// The child's process id; once it has ended and been reaped, the id may name another process.
    public let pid: Int32
    /// `nil` while the child runs.
    private let ending = Mutex<Termination?>(nil)
    private let exited = ExitSignal()
    private let output: OutputCollector

    /// Starts `command`.
    ///
    /// - Parameters:
    ///   - command: The executable's path, then the arguments.
    ///   - environment: The child's complete environment; ours when `nil`.
    ///   - directory: The child's working directory; ours when `nil`.
    ///   - stdin: Its standard input; `/dev/null` by default.
    ///   - stdout: Its standard output; captured by default.
    ///   - stderr: Its standard error; captured by default.
    /// - Throws: ``TestServerError`` when the child cannot be started (no such executable, ...).
    public init(
        _ command: [String],
        environment: [String: String]? = nil,
        directory: String? = nil,
        stdin: Input = .null,
        stdout: Output = .capture,
        stderr: Output = .capture
    ) throws {
        guard !command.isEmpty else { throw TestServerError("empty command") }
        self.command = command
        // Descriptors to close here once the child has its copies.
        var ours: [Int32] = []
        defer { for descriptor in ours { close(descriptor) } }
        func keep(_ descriptor: Int32) -> Int32 {
            ours.append(descriptor)
            return descriptor
        }

        let input: Int32
        switch stdin {
        case .null: input = keep(try Self.openNull(O_RDONLY))
        case .bytes(let bytes): input = keep(try Self.temporaryFile(holding: bytes))
        case .descriptor(let descriptor): input = keep(try Self.duplicate(descriptor))
        }
        var captured: (stdout: Int32?, stderr: Int32?) = (nil, nil)
        func target(_ output: Output, capture: inout Int32?) throws -> Int32 {
            switch output {
            case .null, .standardOutput: return keep(try Self.openNull(O_WRONLY))
            case .descriptor(let descriptor): return keep(try Self.duplicate(descriptor))
            case .capture:
                let pipe = try SpawnCalls.makePipe()
                capture = pipe.read
                return keep(pipe.write)
            }
        }
        let outputTarget: Int32
        let errorTarget: Int32
        do {
            outputTarget = try target(stdout, capture: &captured.stdout)
            if case .standardOutput = stderr {
                errorTarget = outputTarget
            } else {
                errorTarget = try target(stderr, capture: &captured.stderr)
            }
            pid = try Self.spawn(
                command, environment: environment ?? ProcessInfo.processInfo.environment, directory: directory,
                standardStreams: [input, outputTarget, errorTarget])
        } catch {
            for descriptor in [captured.stdout, captured.stderr].compactMap({ $0 }) { close(descriptor) }
            throw error
        }
        output = OutputCollector(stdout: captured.stdout, stderr: captured.stderr, childExited: exited)
        let waiter = Thread { [self] in awaitExit() }
        waiter.stackSize = 1 << 18
        waiter.start()
    }

    /// Whether the child still runs (it has not been reaped yet).
    public var isRunning: Bool {
        ending.withLock { $0 == nil }
    }

    /// How the child ended; `nil` while it runs.
    public var termination: Termination? {
        ending.withLock { $0 }
    }

    /// Everything the child wrote to its captured standard output so far (also what it wrote to
    /// standard error when that is ``Output/standardOutput``); empty when not captured.
    public var standardOutput: [UInt8] { output.stdout }

    /// Everything the child wrote to its captured standard error so far; empty when not captured.
    public var standardError: [UInt8] { output.stderr }

    /// Sends `signal` to the child, unless it has ended already.
    public func signal(_ signal: Int32) {
        // The waiter reaps under this lock: while it is held and the child is not reaped, the
        // id is still the child's (at worst a zombie), never someone else's.
        ending.withLock { ending in
            if ending == nil { sendSignal(signal, to: pid) }
        }
    }

    /// Asks the child to end: SIGTERM.
    public func terminate() { signal(SIGTERM) }

    /// Ends the child at once: SIGKILL.
    public func kill() { signal(SIGKILL) }

    /// Waits up to `timeout` until the child has ended and its captured output has been read
    /// to the end (or, when a process it left behind keeps the pipe open, for a moment more).
    ///
    /// - Returns: Whether that happened in time.
    public func waitForExit(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        guard exited.wait(timeout: timeout) else { return false }
        return output.finished.wait(timeout: max(deadline - ContinuousClock.now, .zero))
    }

    /// Waits, however long it takes, until the child has ended and its output has been read.
    @discardableResult
    public func waitForExit() -> Termination {
        while !waitForExit(timeout: .seconds(3600)) {}
        return termination ?? .exited(-1)
    }

    /// Runs on a thread of its own: waits for the child to end, then reaps it.
    private func awaitExit() {
        var info = siginfo_t()
        // WNOWAIT leaves the child a zombie, so its id stays taken until the reap below, which
        // happens under the same lock as `signal(_:)`.
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        ending.withLock { ending in
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
            guard result == pid else {
                ending = .exited(-1)  // reaped by someone else: the status is lost
                return
            }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which are macros C alone sees.
            ending = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        }
        exited.fire()
    }
}

extension ChildProcess {
    /// The signals whose disposition the child gets reset to the default, whatever ours is
    /// (an ignored signal would otherwise stay ignored across `exec`).
    private static let defaultSignals = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD]

    /// `posix_spawn` with `standardStreams` (three descriptors, all 3 or higher) as the child's
    /// 0, 1 and 2, and every other descriptor closed.
    private static func spawn(
        _ command: [String], environment: [String: String], directory: String?, standardStreams: [Int32]
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in standardStreams.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, Int32(target))
        }
        if let closeFrom = SpawnCalls.addCloseFrom {
            _ = closeFrom(&actions, 3)
        } else {
            // Ours are all close-on-exec; these would leak (an error for a descriptor closed
            // meanwhile is ignored by glibc).
            for descriptor in SpawnCalls.inheritableDescriptors() {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
        if let directory {
            guard let addChdir = SpawnCalls.addChdir else {
                throw TestServerError("this C library cannot set a child's working directory", command: command)
            }
            _ = addChdir(&actions, directory)
        }

        let arguments = command.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, &attributes, arguments, variables)
        guard result == 0 else {
            throw TestServerError("could not run \(command[0]): \(String(cString: strerror(result)))", command: command)
        }
        return pid
    }

    private static func openNull(_ mode: Int32) throws -> Int32 {
        let descriptor = open("/dev/null", mode | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open /dev/null") }
        return descriptor
    }

    /// A close-on-exec copy of `descriptor`, numbered 3 or higher (so that placing the child's
    /// standard streams cannot overwrite it).
    private static func duplicate(_ descriptor: Int32) throws -> Int32 {
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else { throw failure("duplicating descriptor \(descriptor)") }
        return copy
    }

    /// A nameless temporary file holding `bytes`, positioned at its start: input that never
    /// blocks us, however much of it the child leaves unread.
    private static func temporaryFile(holding bytes: [UInt8]) throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/pgtestserver-input-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw failure("creating a temporary file") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("writing a temporary file")
                close(descriptor)
                throw error
            }
            written += count
        }
        lseek(descriptor, 0, SEEK_SET)
        return descriptor
    }

    private static func failure(_ what: String) -> TestServerError {
        TestServerError("\(what) failed: \(String(cString: strerror(errno)))")
    }
}

/// `kill(2)`, which a method of ``ChildProcess`` hides there.
private func sendSignal(_ signal: Int32, to pid: pid_t) {
    _ = kill(pid, signal)
}
