/// libpq's password file (`~/.pgpass`, or the file named by `passfile` / `PGPASSFILE`).
///
/// Each line is `hostname:port:database:username:password`. A field that is exactly `*` matches
/// anything; `\:` and `\\` (a backslash before any character) are escapes; lines beginning with
/// `#` are comments; lines with fewer than five fields are skipped. The first matching line wins,
/// so put specific lines first. A password field that is empty counts as no password.
///
/// The host compared is the connection's `host` (or its `hostaddr` when no host was given), except
/// that a Unix-socket connection to the default socket directory is looked up as `localhost`,
/// exactly as libpq does (so a `localhost` line serves both `localhost` over TCP and the default
/// socket; a line naming the socket directory itself does not match it).
///
/// libpq ignores the file unless it is a regular file without group or other permissions
/// (mode 0600 or stricter); ``load(path:)`` does the same and says why in a warning the caller
/// can log.
public struct PGPassFile: Sendable, Hashable {
    /// One line of the file.
    public struct Entry: Sendable, Hashable {
        /// A matching field: `*` or a literal value (escapes removed).
        public enum Field: Sendable, Hashable {
            /// `*`: matches every value.
            case any
            /// A literal value, matched exactly (case matters).
            case value(String)

            /// Whether `candidate` (a host, port number, database or user name) matches this field.
            public func matches(_ candidate: String) -> Bool {
                switch self {
                case .any: return true
                case .value(let value): return value == candidate
                }
            }
        }

        /// The host field: a host name, numeric address or Unix socket directory; `localhost` also
        /// stands for the default socket directory.
        public var host: Field
        /// The port field, compared as text with the connection's port number (`5432`).
        public var port: Field
        /// The database field.
        public var database: Field
        /// The user-name field.
        public var user: Field
        /// The password, escapes removed. Empty means "no password".
        public var password: String
    }

    /// Where the file was read from ("" for contents given in memory).
    public let path: String
    /// The entries in file order, comments and malformed lines left out.
    public let entries: [Entry]

    /// Parses the contents of a password file.
    public init(contents: String, path: String = "") {
        self.init(bytes: Array(contents.utf8), path: path)
    }

    init(bytes: [UInt8], path: String) {
        self.path = path
        entries = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).compactMap(Self.entry)
    }

    /// The outcome of reading a password file.
    public enum LoadResult: Sendable, Hashable {
        /// The file was read and parsed; it may still have no entries.
        case loaded(PGPassFile)
        /// There is no file at the path; libpq stays silent about that, and so does PGWire.
        case notFound
        /// The file exists but is not used; the warning says why (never containing a password).
        case ignored(warning: String)
    }

    /// Reads and parses the password file at `path`, checking its type and permissions as libpq does.
    public static func load(path: String) -> LoadResult {
        switch SystemFiles.readPrivateFile(path) {
        case .contents(let bytes):
            return .loaded(PGPassFile(bytes: bytes, path: path))
        case .notFound:
            return .notFound
        case .notRegularFile:
            return .ignored(warning: "password file \"\(path)\" is not a plain file; ignoring it")
        case .tooPermissive(let mode):
            return .ignored(
                warning: "password file \"\(path)\" has group or world access (mode \(octal(mode))); "
                    + "permissions should be u=rw (0600) or less; ignoring it")
        case .tooLarge:
            return .ignored(warning: "password file \"\(path)\" is larger than \(SystemFiles.privateFileLimit) bytes; ignoring it")
        case .failed(let call, let message):
            return .ignored(warning: "could not read password file \"\(path)\" (\(call): \(message)); ignoring it")
        }
    }

    /// The password for a connection to `host` and `port` as `user` to `database`, or nil.
    ///
    /// `host` is the value of libpq's `host` (a name, a numeric address, or a socket directory);
    /// the default socket directory (``PGConnectionSettings/defaultSocketDirectory``) and an empty
    /// host are looked up as `localhost`.
    public func password(host: String, port: Int, database: String, user: String) -> String? {
        password(host: host, port: port, database: database, user: user, defaultSocketDirectory: PGConnectionSettings.defaultSocketDirectory)
    }

    /// The password for one of a configuration's servers: looked up by its ``PGConnection/Configuration/Server/host``
    /// (which is its `hostaddr` when the connection string gave only an address).
    public func password(for server: PGConnection.Configuration.Server, database: String, user: String) -> String? {
        password(host: server.host, port: server.port, database: database, user: user)
    }

    func password(host: String, port: Int, database: String, user: String, defaultSocketDirectory: String) -> String? {
        let lookupHost = host.isEmpty || host == defaultSocketDirectory ? "localhost" : host
        let portText = String(port)
        for entry in entries
        where entry.host.matches(lookupHost) && entry.port.matches(portText) && entry.database.matches(database)
            && entry.user.matches(user)
        {
            return entry.password.isEmpty ? nil : entry.password
        }
        return nil
    }

    /// `HOME/.pgpass`, HOME coming from `environment` or else the password database; nil if neither knows a home.
    public static func defaultPath(environment: [String: String]) -> String? {
        defaultPath(environment: environment, system: .live)
    }

    static func defaultPath(environment: [String: String], system: ConfigurationSystem) -> String? {
        guard let home = ConfigurationSystem.home(environment: environment, system: system) else { return nil }
        return (home.hasSuffix("/") ? home : home + "/") + ".pgpass"
    }

    private static func entry(_ rawLine: ArraySlice<UInt8>) -> Entry? {
        var line = rawLine
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard let first = line.first, first != UInt8(ascii: "#") else { return nil }

        // Split at unescaped colons, keeping each field's raw bytes so that only a bare "*" is a wildcard.
        var fields: [(raw: [UInt8], value: [UInt8])] = []
        var raw: [UInt8] = []
        var value: [UInt8] = []
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            if byte == UInt8(ascii: "\\"), index + 1 < line.endIndex {
                raw += [byte, line[index + 1]]
                value.append(line[index + 1])
                index += 2
                continue
            }
            if byte == UInt8(ascii: ":") {
                fields.append((raw, value))
                raw = []
                value = []
                if fields.count == 4 {
                    // The password runs to the next unescaped colon; anything after it is ignored.
                    index += 1
                    var password: [UInt8] = []
                    while index < line.endIndex, line[index] != UInt8(ascii: ":") {
                        if line[index] == UInt8(ascii: "\\"), index + 1 < line.endIndex { index += 1 }
                        password.append(line[index])
                        index += 1
                    }
                    func field(_ part: (raw: [UInt8], value: [UInt8])) -> Entry.Field {
                        part.raw == [UInt8(ascii: "*")] ? .any : .value(String(decoding: part.value, as: UTF8.self))
                    }
                    return Entry(
                        host: field(fields[0]), port: field(fields[1]), database: field(fields[2]), user: field(fields[3]),
                        password: String(decoding: password, as: UTF8.self))
                }
                index += 1
                continue
            }
            raw.append(byte)
            value.append(byte)
            index += 1
        }
        return nil
    }

    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
