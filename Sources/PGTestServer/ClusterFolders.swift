import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a cluster lives: its data folder, its socket folder, and which of them to delete.
struct ClusterFolders {
    /// The data folder (`PGDATA`).
    let data: String
    /// The folder for the Unix socket: the data folder, or a short temporary one when the
    /// data folder's path is too long for a socket address.
    let socket: String
    /// Folders made for this server, deleted when it stops.
    let temporary: [String]
    /// Whether the caller's data folder did not exist and was made here, so that a failed
    /// start can remove it again.
    let createdData: Bool

    /// The longest socket path every platform takes (`sun_path` holds 104 bytes on macOS,
    /// 108 on Linux, both with the final NUL).
    private static let maximumSocketPathLength = 103

    /// Makes or checks the folders. `dataDirectory` is the caller's folder to keep, or
    /// `nil` for a fresh temporary one.
    init(dataDirectory: String?, account: ServerAccount) throws {
        var temporary: [String] = []
        if let dataDirectory {
            (data, createdData) = try Self.prepareKept(dataDirectory, account: account)
        } else {
            data = try Self.makeTemporaryFolder(prefix: "pgtestserver-", account: account)
            temporary.append(data)
            createdData = false
        }
        if (data + "/.s.PGSQL.65535").utf8.count <= Self.maximumSocketPathLength {
            socket = data
        } else {
            socket = try Self.makeTemporaryFolder(prefix: "pgts-", account: account)
            temporary.append(socket)
        }
        self.temporary = temporary
    }

    /// Deletes the folders made for a server that failed to start: the temporary ones, and
    /// the caller's data folder if it did not exist before.
    func removeMadeFolders() {
        for folder in temporary + (createdData ? [data] : []) {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// A new, empty folder of mode 0700 under the temporary folder, owned by the server's
    /// user. As root that is always under `/tmp`, since root's `TMPDIR` may be out of the
    /// `postgres` user's reach.
    static func makeTemporaryFolder(prefix: String, account: ServerAccount) throws -> String {
        var base = account.owner == nil ? NSTemporaryDirectory() : "/tmp"
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/" + prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else {
            throw TestServerError("could not create a folder in \(base): \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        do {
            try account.hand(path)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return path
    }

    /// Makes the caller's folder absolute, creating it (mode 0700) if it does not exist and
    /// handing it to the server's user if it holds no cluster yet. Returns the path and
    /// whether it was created.
    private static func prepareKept(_ path: String, account: ServerAccount) throws -> (String, Bool) {
        let fileManager = FileManager.default
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: fileManager.currentDirectoryPath))
            .standardizedFileURL.path
        var isDirectory: ObjCBool = false
        let exists = fileManager.fileExists(atPath: absolute, isDirectory: &isDirectory)
        if exists {
            guard isDirectory.boolValue else {
                throw TestServerError("the data directory \(absolute) is a file, not a folder")
            }
        } else {
            do {
                try fileManager.createDirectory(atPath: absolute, withIntermediateDirectories: true)
            } catch {
                throw TestServerError("could not create the data directory \(absolute): \(error)")
            }
        }
        if !fileManager.fileExists(atPath: absolute + "/PG_VERSION") {
            // initdb wants the folder to be private to the server's user.
            guard chmod(absolute, 0o700) == 0 else {
                throw TestServerError("could not chmod \(absolute): \(String(cString: strerror(errno)))")
            }
            try account.hand(absolute)
        }
        return (absolute, !exists)
    }
}
