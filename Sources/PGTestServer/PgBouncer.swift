import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PgBouncer in front of a ``TestServer``, started for tests and benchmarks and
/// stopped again.
///
/// ```swift
/// let server = try TestServer.start()
/// let bouncer = try PgBouncer.start(for: server)   // pool_mode = transaction
/// defer { try? bouncer.stop(); try? server.stop() }
/// // connect to bouncer.host:bouncer.port as server.user(.scramSHA256) with pooler_mode=transaction
/// ```
///
/// ``start(for:_:)`` writes `pgbouncer.ini` and a users file (the test users with passwords,
/// ``TestServer/User``) into a fresh folder under the temporary folder, starts `pgbouncer` on a
/// free port of 127.0.0.1 as the user the server runs as (PgBouncer refuses to run as root),
/// and waits until it accepts connections. Every database name is passed through to the
/// server. ``stop()`` stops it and deletes the folder; as with ``TestServer``, a normal exit
/// stops it too, and a watchdog process stops it if this process crashes or is killed.
public final class PgBouncer: Sendable, CustomStringConvertible {
    /// `127.0.0.1`.
    public let host: String
    /// The port PgBouncer listens on.
    public let port: Int
    /// The folder of its configuration, users file, log (`pgbouncer.log`) and process id file.
    public let folder: String
    /// The options it was started with.
    public let options: Options
    /// Its process and watchdog; `nil` once stopped.
    private let running: Mutex<(process: ChildProcess, watchdog: Watchdog)?>

    private init(port: Int, folder: String, options: Options, process: ChildProcess, watchdog: Watchdog) {
        self.host = "127.0.0.1"
        self.port = port
        self.folder = folder
        self.options = options
        self.running = Mutex((process, watchdog))
    }

    public var description: String { "PgBouncer(\(host):\(port), \(options.poolMode.rawValue) mode)" }

    /// The environment variable that turns "pgbouncer is not installed" from a skip into a
    /// failure (set to `1` in CI, where it is installed).
    public static let requirementVariable = "PGEVENTS_REQUIRE_PGBOUNCER"

    /// The `pgbouncer` program: from `PATH`, else `/usr/sbin/pgbouncer` (Debian puts it there,
    /// outside an ordinary user's `PATH`); `nil` when not installed.
    public static func findExecutable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/opt/homebrew/bin"]
        return folders.map { $0 + "/pgbouncer" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether tests that need PgBouncer run: it is installed, or ``requirementVariable`` is
    /// `1` (they then fail with ``start(for:_:)``'s error saying what to install).
    public static var testsShouldRun: Bool {
        findExecutable() != nil || ProcessInfo.processInfo.environment[requirementVariable] == "1"
    }

    /// Starts PgBouncer in front of `server` and waits until it accepts connections.
    ///
    /// - Throws: ``TestServerError`` when `pgbouncer` is not installed or does not start; the
    ///   error holds the end of its log.
    public static func start(for server: TestServer, _ options: Options = Options()) throws -> PgBouncer {
        guard let executable = findExecutable() else {
            throw TestServerError(
                "pgbouncer is not installed: install it with `apt-get install pgbouncer` (Debian, Ubuntu) or `brew install pgbouncer`")
        }
        let account = try ServerAccount.current()
        let folder = try ClusterFolders.makeTemporaryFolder(prefix: "pgbouncer-", account: account)
        let pidFile = folder + "/pgbouncer.pid"
        let watchdog: Watchdog
        do {
            watchdog = try Watchdog(script: watchdogScript, arguments: [pidFile, folder])
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        do {
            try write(usersFile(server.users), to: folder + "/userlist.txt", account: account)
            for attempt in 1...5 {
                let port = try FreePort.pick()
                try write(
                    configurationFile(server: server, port: port, folder: folder, options: options),
                    to: folder + "/pgbouncer.ini", account: account)
                let command = Self.command(executable, configuration: folder + "/pgbouncer.ini", account: account)
                let process = try ChildProcess(command, environment: Subprocess.cleanEnvironment(), stdout: .null, stderr: .null)
                if waitUntilListening(port: port, folder: folder, process: process, timeout: options.startTimeout) {
                    let bouncer = PgBouncer(port: port, folder: folder, options: options, process: process, watchdog: watchdog)
                    LiveBouncers.add(bouncer)
                    return bouncer
                }
                terminate(process)
                let log = (try? String(contentsOfFile: folder + "/pgbouncer.log", encoding: .utf8)) ?? ""
                if log.contains("Address already in use") && attempt < 5 { continue }
                let tail = log.split(separator: "\n").suffix(30).joined(separator: "\n")
                throw TestServerError(
                    "pgbouncer did not accept connections on 127.0.0.1:\(port) within \(options.startTimeout)",
                    command: command,
                    output: "--- end of \(folder)/pgbouncer.log ---\n" + tail)
            }
            throw TestServerError("pgbouncer found no free port")
        } catch {
            watchdog.simulateOwnerDeath()
            throw error
        }
    }

    /// Stops PgBouncer (SIGTERM: it closes every client and server connection at once), waits
    /// until it is gone, and deletes its folder. Calling it again does nothing.
    public func stop() throws {
        try running.withLock { running in
            guard let (process, watchdog) = running else { return }
            guard Self.terminate(process) else {
                throw TestServerError("pgbouncer (\(folder)) did not stop")
            }
            try? FileManager.default.removeItem(atPath: folder)
            watchdog.dismiss()
            running = nil
        }
        LiveBouncers.remove(self)
    }

    /// PgBouncer's process id; nil once stopped.
    @_spi(Testing)
    public var processID: Int32? { running.withLock { $0?.process.pid } }

    /// Acts as if this process had died: lets the watchdog stop PgBouncer and delete the
    /// folder, and waits for it. For testing the crash path.
    @_spi(Testing)
    public func simulateCrash() {
        running.withLock { running in
            running?.watchdog.simulateOwnerDeath()
            _ = running?.process.waitForExit(timeout: .seconds(5))  // reaps it
            running = nil
        }
        LiveBouncers.remove(self)
    }

    private static func write(_ text: String, to path: String, account: ServerAccount) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw TestServerError("could not write \(path)") }
        try account.hand(path)
    }

    /// The command line. As root, PgBouncer switches to the server's user itself (`-u`) rather
    /// than through `runuser`, which would sit in between as its parent and block its signals.
    private static func command(_ executable: String, configuration: String, account: ServerAccount) -> [String] {
        guard account.owner != nil else { return [executable, configuration] }
        return [executable, "-u", ServerAccount.serverUserName, configuration]
    }

    /// Polls until PgBouncer's log says it listens on `port` and a TCP connect there succeeds;
    /// false when the process exits first or `timeout` passes. The log comes first: a connect
    /// alone could reach another program that took the port.
    private static func waitUntilListening(port: Int, folder: String, process: ChildProcess, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        let announcement = "listening on 127.0.0.1:\(port)"
        var pause = Duration.milliseconds(1)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: folder + "/pgbouncer.log", encoding: .utf8)) ?? ""
            if log.contains(announcement), let descriptor = try? LoopbackSocket.connectTCP(port: port) {
                close(descriptor)
                return true
            }
            if process.waitForExit(timeout: pause) { return false }
            pause = min(pause * 2, .milliseconds(20))
        }
        return false
    }

    /// SIGTERM (PgBouncer closes every connection and exits at once), then SIGKILL after
    /// 10 s. Returns whether it ended.
    @discardableResult
    private static func terminate(_ process: ChildProcess) -> Bool {
        for (signal, wait) in [(SIGTERM, Duration.seconds(10)), (SIGKILL, .seconds(5))] {
            process.signal(signal)
            if process.waitForExit(timeout: wait) { return true }
        }
        return false
    }
}

/// The PgBouncers started and not yet stopped, stopped by a normal exit of the process.
enum LiveBouncers {
    private static let bouncers = Mutex<[ObjectIdentifier: PgBouncer]>([:])

    private static let exitHandler: Void = {
        atexit { LiveBouncers.stopAll() }
    }()

    static func add(_ bouncer: PgBouncer) {
        _ = exitHandler
        bouncers.withLock { $0[ObjectIdentifier(bouncer)] = bouncer }
    }

    static func remove(_ bouncer: PgBouncer) {
        _ = bouncers.withLock { $0.removeValue(forKey: ObjectIdentifier(bouncer)) }
    }

    static func stopAll() {
        for bouncer in bouncers.withLock({ Array($0.values) }) { try? bouncer.stop() }
    }
}
