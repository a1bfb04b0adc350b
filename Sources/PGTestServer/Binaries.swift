public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The PostgreSQL programs a ``TestServer`` runs, all from one installation.
struct PostgresBinaries: Sendable {
    /// The programs a folder must hold to be usable.
    static let required = ["initdb", "pg_ctl", "postgres", "psql"]

    let directory: URL
    var initdb: String { path("initdb") }
    var pgCtl: String { path("pg_ctl") }
    var postgres: String { path("postgres") }
    var psql: String { path("psql") }
    /// Copies a running cluster for a standby; only ``TestServer/startStandby(_:)`` needs it,
    /// so it is not in ``required``.
    var pgBasebackup: String { path("pg_basebackup") }

    /// Checks that `directory` holds every required program.
    init(directory: URL) throws {
        let missing = Self.missingPrograms(in: directory.path)
        guard missing.isEmpty else {
            throw TestServerError(
                "\(directory.path) lacks the PostgreSQL programs \(missing.joined(separator: ", "))"
            )
        }
        self.directory = directory
    }

    private func path(_ program: String) -> String {
        directory.appendingPathComponent(program).path
    }

    static func missingPrograms(in directory: String) -> [String] {
        required.filter { !FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
    }
}

extension TestServer {
    /// Finds the folder holding PostgreSQL's server programs (`initdb`, `pg_ctl`, `postgres`,
    /// and `psql`).
    ///
    /// Looks first in the folders of `PATH` (following a symbolic link such as
    /// `/usr/local/bin/pg_ctl` to the installation it belongs to), then in the usual places,
    /// newest major version first: `/usr/lib/postgresql/<version>/bin` (Debian, Ubuntu),
    /// `/usr/pgsql-<version>/bin` (Red Hat), Homebrew's `postgresql@<version>/bin`, and
    /// Postgres.app.
    ///
    /// - Returns: The folder, e.g. `/usr/lib/postgresql/15/bin`.
    /// - Throws: ``TestServerError`` saying what to install when there is no installation.
    public static func findBinaries() throws -> URL {
        for candidate in pathCandidates() + wellKnownCandidates()
        where PostgresBinaries.missingPrograms(in: candidate).isEmpty {
            return URL(fileURLWithPath: candidate, isDirectory: true)
        }
        throw TestServerError(
            """
            PostgreSQL is not installed: no folder in PATH or in /usr/lib/postgresql/*/bin holds \
            \(PostgresBinaries.required.joined(separator: ", ")). \
            Install it with `apt-get install postgresql` (Debian, Ubuntu) or \
            `brew install postgresql@17` (macOS), or pass Options(binDirectory:).
            """
        )
    }

    /// Folders of `PATH` that hold `pg_ctl`: the folder of the real file behind a symbolic
    /// link first, then the `PATH` folder itself.
    private static func pathCandidates() -> [String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        var candidates: [String] = []
        for folder in path.split(separator: ":").map(String.init) where !folder.isEmpty {
            let pgCtl = folder + "/pg_ctl"
            guard FileManager.default.isExecutableFile(atPath: pgCtl) else { continue }
            if let real = realPath(pgCtl) {
                candidates.append((real as NSString).deletingLastPathComponent)
            }
            candidates.append(folder)
        }
        return candidates
    }

    private static func wellKnownCandidates() -> [String] {
        versionedFolders(in: "/usr/lib/postgresql", prefix: "", then: "/bin")
            + versionedFolders(in: "/usr", prefix: "pgsql-", then: "/bin")
            + versionedFolders(in: "/opt/homebrew/opt", prefix: "postgresql@", then: "/bin")
            + versionedFolders(in: "/usr/local/opt", prefix: "postgresql@", then: "/bin")
            + versionedFolders(in: "/Applications/Postgres.app/Contents/Versions", prefix: "", then: "/bin")
    }

    /// `<parent>/<prefix><version><suffix>` for every version present, newest first, compared
    /// numerically (16 before 9.6).
    private static func versionedFolders(in parent: String, prefix: String, then suffix: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        let versioned: [(version: [Int], name: String)] = entries.compactMap { name in
            guard name.hasPrefix(prefix) else { return nil }
            let version = name.dropFirst(prefix.count).split(separator: ".").compactMap { Int($0) }
            return (version, name)
        }
        let newestFirst = versioned.sorted { $1.version.lexicographicallyPrecedes($0.version) }
        return newestFirst.map { parent + "/" + $0.name + suffix }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
