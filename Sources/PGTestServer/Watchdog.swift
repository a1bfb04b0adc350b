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

/// A small shell process that stops the server and removes its temporary folders if this
/// process dies without calling ``TestServer/stop()`` (a crash, `kill -9`, a debugger
/// detaching).
///
/// It waits on a pipe (a socket pair on Linux) whose only write end this process holds,
/// close-on-exec so that no child inherits it. However this process ends, the kernel closes
/// that end, the watchdog's `read` sees end of file, and it runs `pg_ctl stop` and `rm -rf`.
/// A normal ``TestServer/stop()`` writes `done` instead, and the watchdog leaves without
/// doing anything. Waiting on a pipe rather than polling a process id cannot be fooled by
/// the id being reused. The watchdog ignores SIGINT, SIGTERM and SIGHUP, so a Ctrl-C that
/// kills the test run does not kill it too.
final class Watchdog: Sendable {
    private let process: ChildProcess
    /// This process's end of the pipe; -1 once closed.
    private let writeEnd: Mutex<Int32>

    /// The watchdog's script: `$1` pg_ctl, `$2` data folder, `$3` shutdown mode, `$4` and
    /// `$5` folders to remove (or empty), then the command prefix that switches user.
    private static let script = """
        trap '' HUP INT TERM QUIT PIPE
        IFS= read -r line
        [ "$line" = done ] && exit 0
        pg_ctl=$1 data=$2 mode=$3 remove1=$4 remove2=$5
        shift 5
        "$@" "$pg_ctl" -D "$data" stop -m "$mode" -w -t 60 >/dev/null 2>&1
        [ -n "$remove1" ] && rm -rf -- "$remove1"
        [ -n "$remove2" ] && rm -rf -- "$remove2"
        exit 0
        """

    /// Starts a watchdog for the cluster in `dataDirectory`.
    ///
    /// - Parameters:
    ///   - remove: Folders to delete after the server stopped (at most two).
    ///   - mode: `pg_ctl stop` mode: `immediate` for a throwaway cluster, `fast` for one
    ///     that is kept.
    convenience init(
        pgCtl: String,
        dataDirectory: String,
        mode: String,
        remove: [String],
        account: ServerAccount
    ) throws {
        let removals = remove + ["", ""]
        try self.init(
            script: Self.script,
            arguments: [pgCtl, dataDirectory, mode, removals[0], removals[1]] + account.commandPrefix)
    }

    /// Starts a watchdog running `script` (after the line `done` did not come) with
    /// `arguments` as `$1`, `$2`, ...; the script must first read that line from its input.
    init(script: String, arguments: [String]) throws {
        var ends: [Int32] = [-1, -1]
        #if canImport(Darwin)
        guard pipe(&ends) == 0 else { throw Self.error("pipe") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        #else
        // A socket pair rather than a pipe: it can be made close-on-exec atomically (Glibc's
        // module lacks pipe2), so a process spawned meanwhile by another thread cannot
        // inherit it.
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &ends) == 0 else { throw Self.error("socketpair") }
        #endif
        let readEnd = ends[0]
        writeEnd = Mutex(ends[1])
        defer { close(readEnd) }

        do {
            process = try ChildProcess(
                ["/bin/sh", "-c", script, "pgtestserver-watchdog"] + arguments,
                environment: Subprocess.cleanEnvironment(), directory: "/",
                stdin: .descriptor(readEnd), stdout: .null, stderr: .null)
        } catch {
            close(ends[1])
            throw TestServerError("could not start the watchdog shell /bin/sh: \(error)")
        }
    }

    /// Ends the watchdog without letting it touch anything: the server is stopped.
    func dismiss() {
        finish(with: "done\n")
    }

    /// Makes the watchdog act as if this process had died, and waits until it has stopped
    /// the server and removed the folders. For tests of the crash path.
    func simulateOwnerDeath() {
        finish(with: nil)
    }

    private func finish(with message: String?) {
        let closed = writeEnd.withLock { descriptor in
            guard descriptor >= 0 else { return false }
            if let message {
                _ = message.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
            }
            close(descriptor)
            descriptor = -1
            return true
        }
        guard closed else { return }
        if !process.waitForExit(timeout: message == nil ? .seconds(90) : .seconds(5)) {
            process.kill()
        }
    }

    private static func error(_ call: String) -> TestServerError {
        TestServerError("\(call) failed: \(String(cString: strerror(errno)))")
    }
}
