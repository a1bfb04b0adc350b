import Foundation
import PGEventStore
import PGWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The server a command works on, reached as ``ConnectionChoice`` decides.
struct ServerTarget {
    /// How to connect.
    let connection: PGConnection.Configuration
    /// What to call it in reports: `embedded (/path)` or `host:port`.
    let label: String

    /// Runs `body` against the chosen server. An embedded server is started first and stopped
    /// afterwards, also when `body` throws.
    static func with<T>(_ options: GlobalOptions, _ body: (ServerTarget) async throws -> T) async throws -> T {
        let environment = ProcessInfo.processInfo.environment
        switch ConnectionChoice.choose(url: options.url, dataDirectory: options.dataDirectory, environment: environment) {
        case .connectionString(let text, let origin):
            // A bad --url is a usage error; a bad environment a plain one.
            let status = origin == .url ? ExitStatus.usage : ExitStatus.failure
            return try await body(try remote(text, origin: origin.rawValue, environment: environment, status: status))
        case .environment:
            return try await body(
                try remote("", origin: "the PG* environment", environment: environment, status: ExitStatus.failure))
        case .embedded(let explicit):
            let folder = try DataFolder.resolve(explicit: explicit, facts: localFacts(environment))
            let server = try EmbeddedServer(folder: folder) { Diagnostics.notice($0) }
            let target = ServerTarget(connection: server.connection, label: "embedded (\(folder.path))")
            let result: T
            do {
                result = try await body(target)
            } catch {
                try? server.stop()
                throw error
            }
            try server.stop()
            return result
        }
    }

    /// Opens the store in `options.schema` on the chosen server for `body`, and closes it.
    static func withStore<T>(
        _ options: GlobalOptions, _ body: (EventStore, ServerTarget) async throws -> T
    ) async throws -> T {
        try await with(options) { target in
            var configuration = EventStore.Configuration(connection: target.connection, schema: options.schema)
            configuration.readConnection = try readConnection(options)
            configuration.sessionConnection = try sessionConnection(options)
            let store = try EventStore(configuration)
            do {
                let result = try await body(store, target)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }

    /// The server for reads: `--read-url`, else `PGEVENTS_READ_URL`; nil for none.
    private static func readConnection(_ options: GlobalOptions) throws -> PGConnection.Configuration? {
        let environment = ProcessInfo.processInfo.environment
        if let text = options.readURL {
            return try remote(text, origin: "--read-url", environment: environment, status: ExitStatus.usage).connection
        }
        if let text = environment["PGEVENTS_READ_URL"], !text.isEmpty {
            return try remote(text, origin: "PGEVENTS_READ_URL", environment: environment, status: ExitStatus.failure).connection
        }
        return nil
    }

    /// The direct connection for what needs a session behind a transaction pooler: `--listen-url`,
    /// else `PGEVENTS_LISTEN_URL` when set and not empty, else none.
    static func sessionConnection(_ options: GlobalOptions) throws -> PGConnection.Configuration? {
        let environment = ProcessInfo.processInfo.environment
        if let url = options.listenURL {
            return try remote(url, origin: "--listen-url", environment: environment, status: ExitStatus.usage).connection
        }
        guard let url = environment["PGEVENTS_LISTEN_URL"], !url.isEmpty else { return nil }
        return try remote(url, origin: "PGEVENTS_LISTEN_URL", environment: environment, status: ExitStatus.failure).connection
    }

    /// The configuration from a connection string completed by the environment; `status` is
    /// the exit status when the settings are invalid.
    private static func remote(
        _ text: String, origin: String, environment: [String: String], status: Int32
    ) throws -> ServerTarget {
        var configuration: PGConnection.Configuration
        do {
            configuration = try PGConnection.Configuration(connectionString: text, environment: environment)
        } catch {
            throw CommandFailure("invalid connection settings from \(origin): \(error.message)", exitCode: status)
        }
        if configuration.applicationName == nil { configuration.applicationName = "pgevents" }
        let servers = configuration.servers.map(\.description).joined(separator: ",")
        return ServerTarget(connection: configuration, label: servers)
    }

    private static func localFacts(_ environment: [String: String]) -> DataFolder.Facts {
        let access = geteuid() == 0 ? ServerUserAccess.postgres() : nil
        return DataFolder.Facts(
            isRoot: geteuid() == 0,
            environment: environment,
            passwordHome: getpwuid(geteuid()).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } },
            currentDirectory: FileManager.default.currentDirectoryPath,
            blockingFolder: { access?.blockingFolder(on: $0) })
    }
}
