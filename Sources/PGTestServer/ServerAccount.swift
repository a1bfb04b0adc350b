import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating-system user the server runs as.
///
/// PostgreSQL refuses to run as root. Run as root, a ``TestServer`` runs `initdb` and
/// `pg_ctl` as the OS user `postgres` (which the `postgresql` package creates), through
/// `runuser`, `setpriv` or `su`, and hands it the cluster's folder. Run as anyone else, the
/// server runs as that user and nothing needs switching.
struct ServerAccount: Sendable {
    /// Put in front of a command to run it as the server's user; empty when that is us.
    let commandPrefix: [String]
    /// Who must own the cluster's folders, when that is not us.
    let owner: (uid: uid_t, gid: gid_t)?

    static let serverUserName = "postgres"

    static func current() throws -> ServerAccount {
        guard geteuid() == 0 else {
            return ServerAccount(commandPrefix: [], owner: nil)
        }
        guard let entry = getpwnam(serverUserName) else {
            throw TestServerError(
                """
                running as root, but there is no OS user "\(serverUserName)" to run PostgreSQL as \
                (it refuses to run as root). Install PostgreSQL with `apt-get install postgresql`, \
                which creates that user, or run the tests as an ordinary user.
                """
            )
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        return ServerAccount(commandPrefix: try switchUserPrefix(), owner: (uid, gid))
    }

    /// Wraps `command` so that it runs as the server's user.
    func command(_ command: [String]) -> [String] {
        commandPrefix + command
    }

    /// Gives `path` (one file or folder, not its contents) to the server's user.
    func hand(_ path: String) throws {
        guard let owner else { return }
        guard chown(path, owner.uid, owner.gid) == 0 else {
            throw TestServerError(
                "could not give \(path) to user \(Self.serverUserName): \(String(cString: strerror(errno)))"
            )
        }
    }

    private static func switchUserPrefix() throws -> [String] {
        let fileManager = FileManager.default
        for runuser in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        where fileManager.isExecutableFile(atPath: runuser) {
            return [runuser, "-u", serverUserName, "--"]
        }
        for setpriv in ["/usr/bin/setpriv", "/bin/setpriv"] where fileManager.isExecutableFile(atPath: setpriv) {
            return [setpriv, "--reuid=\(serverUserName)", "--regid=\(serverUserName)", "--init-groups", "--"]
        }
        for su in ["/bin/su", "/usr/bin/su"] where fileManager.isExecutableFile(atPath: su) {
            // su hands the words after the script to the shell as $0, $1, ...
            return [su, "-s", "/bin/sh", serverUserName, "-c", #"exec "$0" "$@""#]
        }
        throw TestServerError(
            "running as root, but none of runuser, setpriv or su is there to switch to user \(serverUserName)"
        )
    }
}
