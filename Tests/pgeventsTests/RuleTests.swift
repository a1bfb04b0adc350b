import Foundation
import PGEventStore
import Testing

@testable import pgevents

/// The pure decisions: which server, which folder.
@Suite struct RuleTests {
    @Test func connectionPrecedence() {
        func choose(_ url: String?, _ dataDirectory: String?, _ environment: [String: String]) -> ConnectionChoice {
            ConnectionChoice.choose(url: url, dataDirectory: dataDirectory, environment: environment)
        }
        let both = ["DATABASE_URL": "d", "PGHOST": "h"]
        #expect(choose("u", nil, both) == .connectionString("u", origin: .url))
        #expect(choose(nil, "/x", both) == .embedded(dataDirectory: "/x"))
        #expect(choose(nil, nil, both) == .connectionString("d", origin: .databaseURL))
        #expect(choose(nil, nil, ["DATABASE_URL": "", "PGDATABASE": "db"]) == .environment)
        for variable in ConnectionChoice.targetVariables {
            #expect(choose(nil, nil, [variable: "v"]) == .environment)
        }
        // Tuning variables alone, or empty ones, do not name a server.
        let tuning = ["PGPASSWORD": "p", "PGSSLMODE": "require", "PGAPPNAME": "a", "PGHOST": ""]
        #expect(choose(nil, nil, tuning) == .embedded(dataDirectory: nil))
        #expect(choose(nil, nil, [:]) == .embedded(dataDirectory: nil))
    }

    static func facts(root: Bool, environment: [String: String], blocked: Set<String> = []) -> DataFolder.Facts {
        DataFolder.Facts(
            isRoot: root, environment: environment, passwordHome: "/home/pw", currentDirectory: "/work/here",
            blockingFolder: { path in blocked.first { path == $0 || path.hasPrefix($0 + "/") } })
    }

    @Test func defaultFolders() throws {
        func folder(_ environment: [String: String]) throws -> String {
            try DataFolder.resolve(explicit: nil, facts: Self.facts(root: false, environment: environment)).path
        }
        #expect(try folder(["HOME": "/home/ann"]) == "/home/ann/.local/share/pgevents")
        #expect(try folder(["HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann/"]) == "/data/ann/pgevents")
        // A relative XDG_DATA_HOME is ignored (XDG base directory rule); no HOME: the password database.
        #expect(try folder(["XDG_DATA_HOME": "rel"]) == "/home/pw/.local/share/pgevents")
        let folder = try DataFolder.resolve(explicit: "../there/./db", facts: Self.facts(root: false, environment: [:]))
        #expect(folder.path == "/work/there/db")
        #expect(folder.cluster == "/work/there/db/cluster")
    }

    @Test func rootFallsBackWhenTheDefaultIsOutOfReachButNeverMovesAnExplicitFolder() throws {
        let facts = Self.facts(root: true, environment: ["HOME": "/root"], blocked: ["/root"])
        #expect(try DataFolder.resolve(explicit: nil, facts: facts).path == "/var/lib/pgevents")
        #expect(throws: CommandFailure.self) { try DataFolder.resolve(explicit: "/root/db", facts: facts) }
        #expect(try DataFolder.resolve(explicit: "/srv/db", facts: facts).path == "/srv/db")
        // Reachable defaults stay; non-root users are never moved.
        let open = Self.facts(root: true, environment: ["HOME": "/root", "XDG_DATA_HOME": "/srv/xdg"], blocked: ["/root"])
        #expect(try DataFolder.resolve(explicit: nil, facts: open).path == "/srv/xdg/pgevents")
        let user = Self.facts(root: false, environment: ["HOME": "/root"], blocked: ["/root"])
        #expect(try DataFolder.resolve(explicit: nil, facts: user).path == "/root/.local/share/pgevents")
    }

    @Test func postgresSearchPermission() throws {
        guard let access = ServerUserAccess.postgres() else { return }  // no postgres user: nothing to check
        #expect(access.blockingFolder(on: "/tmp/some/new/folder") == nil)
        if geteuid() == 0 {
            let parent = "/tmp/pgevents-rule-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: parent + "/inner", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: parent) }
            chmod(parent, 0o700)
            #expect(access.blockingFolder(on: parent + "/inner/db") == parent)
            chmod(parent, 0o711)
            #expect(access.blockingFolder(on: parent + "/inner/db") == nil)
        }
    }

    @Test func theMissingInstallationMessageSaysWhatToInstallAndWhereItLooked() {
        let message = PostgresInstallation.notFoundMessage
        #expect(message.contains("apt-get install postgresql"))
        #expect(message.contains("/usr/lib/postgresql/*/bin"))
        #expect(message.contains("PATH"))
        #expect(!message.contains("\n"))
    }
}
