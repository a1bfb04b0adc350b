import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn` and an empty signal mask.
///
/// Foundation's `Process` starts children from a thread that blocks nearly every signal, and
/// a child inherits that mask: a program that does not reset it (PgBouncer does not) then
/// never sees SIGTERM or SIGINT, and only SIGKILL stops it. This one clears the mask, resets
/// SIGTERM, SIGINT, SIGHUP and SIGPIPE to their defaults, gives the child `/dev/null` for its
/// standard streams and closes every other descriptor in it.
final class SpawnedProcess: Sendable {
    let pid: pid_t
    /// Set once reaped: from then on the id may belong to another process.
    private let reaped = Atomic(false)

    init(_ command: [String], environment: [String: String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

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
        self.pid = pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run
    /// time: Swift's Glibc module does not declare it. Without it, descriptors opened without
    /// close-on-exec leak into the child.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Whether the process has exited; reaps it when it has.
    var hasExited: Bool {
        if reaped.load(ordering: .acquiring) { return true }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid || (result < 0 && errno == ECHILD) else { return false }
        reaped.store(true, ordering: .releasing)
        return true
    }

    /// Waits up to `timeout` for the process to exit; returns whether it did.
    func wait(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(1)
        while true {
            if hasExited { return true }
            guard ContinuousClock.now < deadline else { return false }
            usleep(UInt32(pause.components.attoseconds / 1_000_000_000_000))
            pause = min(pause * 2, .milliseconds(10))
        }
    }

    /// Sends `signal`, unless the process was reaped (its id may be reused by then).
    func signal(_ signal: Int32) {
        guard !reaped.load(ordering: .acquiring) else { return }
        kill(pid, signal)
    }
}
