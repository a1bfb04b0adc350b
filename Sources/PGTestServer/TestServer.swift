import Foundation
import Synchronization

/// A private PostgreSQL cluster, started from the local installation for tests or as an
/// embedded server, and stopped again.
///
/// ```swift
/// let server = try TestServer.start()
/// defer { try? server.stop() }
/// let scram = server.user(.scramSHA256)
/// // connect to server.host:server.port as scram.name with scram.password ...
/// #expect(try server.psql("SELECT 1") == "1")
/// ```
///
/// ``start(_:)`` runs `initdb` into a fresh folder under the system's temporary folder
/// (`/tmp/pgtestserver-XXXXXX`), starts the server on a free port of 127.0.0.1 (and ::1
/// when the machine has IPv6) and on a Unix socket in that folder, and creates one login
/// role per authentication method (``User``). ``stop()`` stops it and deletes the folder.
/// With ``Options/dataDirectory`` the cluster lives in a folder of your choice and is kept
/// and reused instead.
///
/// The server is tuned for speed, not safety: `fsync`, `synchronous_commit` and
/// `full_page_writes` are off, so a crash of the *machine* may corrupt the cluster (a crash
/// of the server or of this process does not). Set them back in ``Options/settings`` for a
/// cluster you keep.
///
/// A server never outlives its process: ``stop()`` also runs when the process exits
/// normally, and a small watchdog process stops the server and deletes its temporary folder
/// if the process crashes or is killed.
///
/// Run as root, the server runs as the OS user `postgres`, because PostgreSQL refuses to
/// run as root. All methods are safe to call from any thread; each runs its programs
/// synchronously, with a time limit.
public final class TestServer: Sendable, CustomStringConvertible {
    /// The address the server listens on for TCP: `127.0.0.1`. It listens on `::1` too,
    /// on the same port, when the machine has IPv6.
    public let host: String
    /// The TCP port.
    public let port: Int
    /// The folder holding the Unix socket, whose file is `<socketDirectory>/.s.PGSQL.<port>`:
    /// the data folder, unless its path is too long for a socket address.
    public let socketDirectory: String
    /// The cluster's folder (`PGDATA`); it also holds the server's log, `server.log`.
    public let dataDirectory: String
    /// The superuser, `postgres`, who logs in without a password (trust) over the socket
    /// and over TCP.
    public let superuser: String
    /// The database that exists from the start, `postgres`.
    public let database: String
    /// The test users, one per ``AuthMethod``; see ``User``.
    public let users: [User]
    /// The certificates, keys and TLS roles of a server started with ``Options/tls``;
    /// `nil` for a server without TLS.
    public let tls: TLSSetup?

    let binaries: PostgresBinaries
    let account: ServerAccount
    /// Folders that ``stop()`` deletes.
    let temporaryFolders: [String]
    /// The server and its watchdog; `nil` once stopped.
    private let running: Mutex<(server: ServerProcess, watchdog: Watchdog)?>

    init(
        port: Int,
        socketDirectory: String,
        dataDirectory: String,
        binaries: PostgresBinaries,
        account: ServerAccount,
        temporaryFolders: [String],
        tls: TLSSetup?,
        server: ServerProcess,
        watchdog: Watchdog
    ) {
        self.host = "127.0.0.1"
        self.port = port
        self.socketDirectory = socketDirectory
        self.dataDirectory = dataDirectory
        self.superuser = ServerAccount.serverUserName
        self.database = "postgres"
        self.users = User.all
        self.binaries = binaries
        self.account = account
        self.temporaryFolders = temporaryFolders
        self.tls = tls
        self.running = Mutex((server, watchdog))
    }

    /// The test user that logs in with `method`.
    public func user(_ method: AuthMethod) -> User {
        // `users` holds one user per method.
        users.first { $0.method == method }!
    }

    /// The path of the Unix socket file, `<socketDirectory>/.s.PGSQL.<port>`.
    public var socketPath: String {
        socketDirectory + "/.s.PGSQL.\(port)"
    }

    public var description: String {
        "TestServer(\(host):\(port), data: \(dataDirectory))"
    }

    /// Stops the server and waits until it is gone, then deletes its temporary folder; a
    /// ``Options/dataDirectory`` of the caller is kept.
    ///
    /// The server gets a fast shutdown (SIGINT, as `pg_ctl stop -m fast`: sessions end,
    /// open transactions roll back, a checkpoint is written); if it has not ended within
    /// a minute, an immediate one. Calling `stop()` again does nothing. If it throws, the
    /// server may still be running; the watchdog then still stops it when the process ends.
    public func stop() throws {
        try running.withLock { running in
            guard let (server, watchdog) = running else { return }
            guard server.stop(mode: .fast) else {
                throw TestServerError(
                    "the server did not stop",
                    output: ServerLog(dataDirectory: dataDirectory).tail(from: 0)
                )
            }
            for folder in temporaryFolders {
                try? FileManager.default.removeItem(atPath: folder)
            }
            watchdog.dismiss()
            running = nil
        }
        LiveServers.remove(self)
    }

    /// Acts as if this process had died: lets the watchdog stop the server and delete the
    /// temporary folder, and waits for it. For testing the crash path.
    @_spi(Testing)
    public func simulateCrash() {
        running.withLock { running in
            running?.watchdog.simulateOwnerDeath()
            running = nil
        }
        LiveServers.remove(self)
    }
}
