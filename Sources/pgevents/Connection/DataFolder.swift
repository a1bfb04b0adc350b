/// The folder of the embedded server: `cluster/` holds the PostgreSQL data directory and
/// `lock` keeps two pgevents commands from starting a server on it at once.
///
/// Where it is (``resolve(explicit:facts:)``):
/// - `--data-dir`, made absolute against the current folder;
/// - else `$XDG_DATA_HOME/pgevents` when `XDG_DATA_HOME` is an absolute path (the XDG base
///   directory rule: a relative one is ignored);
/// - else `$HOME/.local/share/pgevents`.
///
/// Run as root, PostgreSQL runs as the OS user `postgres`, which must be able to enter every
/// folder above the cluster. When the default folder fails that (root's home is mode 0700),
/// pgevents uses ``rootFallback`` instead. A `--data-dir` that fails it is an error naming the
/// folder in the way: an explicit choice is never moved, and no folder's mode is changed.
struct DataFolder: Equatable {
    /// The folder, absolute and without `.`/`..` components.
    let path: String

    /// The PostgreSQL data directory.
    var cluster: String { path + "/cluster" }
    /// The file locked while a command uses the server.
    var lockFile: String { path + "/lock" }

    /// Root's default when the usual default is out of the `postgres` user's reach.
    static let rootFallback = "/var/lib/pgevents"

    /// What the rule depends on, gathered by the caller so the rule stays pure.
    struct Facts {
        var isRoot: Bool
        var environment: [String: String]
        /// The home folder from the password database, for when `HOME` is unset.
        var passwordHome: String?
        var currentDirectory: String
        /// The first existing folder on the way to a path that the `postgres` user cannot
        /// enter, or nil when the way is open.
        var blockingFolder: (String) -> String?
    }

    /// Applies the rule in the type's documentation.
    static func resolve(explicit: String?, facts: Facts) throws(CommandFailure) -> DataFolder {
        if let explicit {
            let path = absolute(explicit, in: facts.currentDirectory)
            if facts.isRoot, let blocked = facts.blockingFolder(path) {
                throw CommandFailure(
                    "--data-dir \(path) is out of reach of the OS user postgres, which runs PostgreSQL when "
                        + "pgevents runs as root: it cannot enter \(blocked). Choose a folder it can reach "
                        + "(such as \(rootFallback)) or let it in (chmod o+x \(blocked))")
            }
            return DataFolder(path: path)
        }
        let path = try defaultPath(facts)
        if facts.isRoot, facts.blockingFolder(path) != nil {
            if let blocked = facts.blockingFolder(rootFallback) {
                throw CommandFailure(
                    "neither \(path) nor \(rootFallback) is reachable by the OS user postgres (it cannot enter "
                        + "\(blocked)); pass --data-dir with a folder it can reach")
            }
            return DataFolder(path: rootFallback)
        }
        return DataFolder(path: path)
    }

    /// `$XDG_DATA_HOME/pgevents` or `$HOME/.local/share/pgevents`.
    static func defaultPath(_ facts: Facts) throws(CommandFailure) -> String {
        if let xdg = facts.environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return normalized(xdg + "/pgevents")
        }
        let home = facts.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? facts.passwordHome
        guard let home, home.hasPrefix("/") else {
            throw CommandFailure("no home folder (HOME is not set) to keep the embedded server in: pass --data-dir")
        }
        return normalized(home + "/.local/share/pgevents")
    }

    static func absolute(_ path: String, in currentDirectory: String) -> String {
        normalized(path.hasPrefix("/") ? path : currentDirectory + "/" + path)
    }

    /// Drops empty and `.` components and resolves `..` textually.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
