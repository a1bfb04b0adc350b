import Foundation
import PGTestServer
import PGWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// PostgreSQL from the local installation, run on pgevents' own cluster for the length of one
/// command: created on first use, started, and stopped again (a fast shutdown with a
/// checkpoint) when the command ends, so the next command finds the same data.
///
/// The server listens on a Unix socket inside the cluster folder only (no TCP), which only
/// its owner (and root) can open, and keeps PostgreSQL's durable defaults (`fsync`,
/// `full_page_writes`, `synchronous_commit` on), since this is the user's data. If pgevents
/// dies, PGTestServer's watchdog stops the server.
final class EmbeddedServer {
    let folder: DataFolder
    private let server: TestServer
    private let lock: FolderLock

    /// The settings that turn PGTestServer's throwaway tuning back into a private, durable server.
    static let settings = [
        "listen_addresses": "",
        "fsync": "on",
        "full_page_writes": "on",
        "synchronous_commit": "on",
    ]

    /// Locks the folder, then creates the cluster if needed and starts the server.
    init(folder: DataFolder, notice: (String) -> Void) throws {
        let binaries = try PostgresInstallation.binDirectory()
        try Self.makeFolder(folder.path)
        let lock = try FolderLock(path: folder.lockFile) {
            notice("waiting for another pgevents command to finish with \(folder.path)")
        }
        if !FileManager.default.fileExists(atPath: folder.cluster + "/PG_VERSION") {
            notice("creating a PostgreSQL cluster in \(folder.cluster)")
        }
        do {
            server = try TestServer.start(
                TestServer.Options(binDirectory: binaries, settings: Self.settings, dataDirectory: folder.cluster))
        } catch let error as TestServerError {
            lock.release()
            throw CommandFailure(
                "the embedded PostgreSQL server in \(folder.cluster) did not start: \(error.message) "
                    + "(its log: \(folder.cluster)/server.log)")
        }
        self.folder = folder
        self.lock = lock
    }

    /// Superuser `postgres` over the Unix socket (trust), database `postgres`.
    var connection: PGConnection.Configuration {
        PGConnection.Configuration(
            host: server.socketDirectory, port: server.port, user: server.superuser, database: server.database,
            applicationName: "pgevents")
    }

    /// Stops the server and releases the folder.
    func stop() throws(CommandFailure) {
        defer { lock.release() }
        do {
            try server.stop()
        } catch {
            throw CommandFailure(
                "the embedded PostgreSQL server in \(folder.cluster) did not stop (its log: \(folder.cluster)/server.log)")
        }
    }

    /// Makes `path` and its missing parents with mode 0755, so that the `postgres` user can
    /// pass through them when pgevents runs as root.
    private static func makeFolder(_ path: String) throws(CommandFailure) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) == 0 {
                // mkdir applies the umask; 0755 is what the rule promises.
                _ = chmod(current, 0o755)
            } else if errno != EEXIST {
                throw CommandFailure("could not create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}
