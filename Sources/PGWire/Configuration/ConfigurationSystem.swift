#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every operating-system fact the configuration layer reads, in one place: the process
/// environment, the effective user's name and home directory, whether a directory exists, numeric
/// address syntax, and the password file's bytes and permissions.
///
/// The facts that decide defaults are closures so tests can replace them.
struct ConfigurationSystem: Sendable {
    /// The effective user's login name (libpq: `getpwuid(geteuid())`).
    var userName: @Sendable () -> String?
    /// The effective user's home directory from the password database, used when `HOME` is unset.
    var homeDirectory: @Sendable () -> String?
    /// Whether a path names an existing directory.
    var isDirectory: @Sendable (String) -> Bool

    static let live = ConfigurationSystem(
        userName: { PasswordDatabase.entry()?.name },
        homeDirectory: { PasswordDatabase.entry()?.home },
        isDirectory: { SystemFiles.isDirectory($0) }
    )

    /// The user's home folder: `HOME` from `environment`, else the password database's; nil
    /// when neither knows one (libpq's `pqGetHomeDirectory`).
    static func home(environment: [String: String], system: ConfigurationSystem) -> String? {
        guard let home = environment["HOME"].flatMap({ $0.isEmpty ? nil : $0 }) ?? system.homeDirectory(), !home.isEmpty else {
            return nil
        }
        return home
    }

    /// libpq's compiled-in default socket directory on Debian and Ubuntu is `/var/run/postgresql`;
    /// most other builds (macOS, Homebrew, source builds) use `/tmp`. PGWire is not compiled per
    /// distribution, so it picks `/var/run/postgresql` when that directory exists, else `/tmp`.
    var defaultSocketDirectory: String {
        isDirectory("/var/run/postgresql") ? "/var/run/postgresql" : "/tmp"
    }
}

/// The effective user's entry in the password database.
enum PasswordDatabase {
    static func entry() -> (name: String, home: String)? {
        var record = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        return buffer.withUnsafeMutableBufferPointer { storage -> (name: String, home: String)? in
            guard let base = storage.baseAddress else { return nil }
            let status = getpwuid_r(geteuid(), &record, base, storage.count, &found)
            guard status == 0, found != nil, let name = record.pw_name else { return nil }
            let home = record.pw_dir.map { String(cString: $0) } ?? ""
            return (String(cString: name), home)
        }
    }
}

enum SystemFiles {
    /// A snapshot of the process environment (`environ`).
    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard var entry = table else { return result }
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }

    /// Whether `path` names something that exists (libpq's `stat(...) == 0` test for its
    /// default TLS files).
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether `text` is a numeric IPv4 or IPv6 address (what libpq's `hostaddr` accepts).
    static func isNumericAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// What reading a file that must be private to its owner found.
    enum PrivateFile: Equatable {
        case contents([UInt8])
        case notFound
        case notRegularFile
        /// Group or other permission bits are set; the mode is given.
        case tooPermissive(mode: UInt32)
        case tooLarge
        case failed(call: String, message: String)
    }

    /// Largest password file read; libpq has no limit, but a password file is a few lines.
    static let privateFileLimit = 1 << 20

    /// Reads a file that must be a regular file without group or other permissions, as libpq
    /// requires of the password file. The checks use `fstat` on the opened descriptor, and the
    /// open is non-blocking so that a FIFO at the path cannot hang the caller.
    static func readPrivateFile(_ path: String) -> PrivateFile {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if descriptor < 0 {
            let code = errno
            return code == ENOENT || code == ENOTDIR ? .notFound : .failed(call: "open", message: describe(code))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failed(call: "fstat", message: describe(errno)) }
        guard status.st_mode & S_IFMT == S_IFREG else { return .notRegularFile }
        let permissions = UInt32(status.st_mode) & 0o7777
        guard permissions & 0o077 == 0 else { return .tooPermissive(mode: permissions) }
        guard Int(status.st_size) <= privateFileLimit else { return .tooLarge }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                return .failed(call: "read", message: describe(code))
            }
            if count == 0 { return .contents(bytes) }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > privateFileLimit { return .tooLarge }
        }
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
