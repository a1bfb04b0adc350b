import Foundation

extension TestServer {
    /// How often ``start(_:)`` tries another free port when the one it picked was taken
    /// before the server could bind it.
    private static let portAttempts = 5

    /// Starts a private PostgreSQL cluster and waits until it accepts connections.
    ///
    /// Unless ``Options/dataDirectory`` names a folder that already holds a cluster, this
    /// runs `initdb -U postgres --auth=trust -E UTF8 --locale=C --no-sync`. It then writes
    /// `pg_hba.conf` (see ``User``) and the server's settings, starts `postgres` with its
    /// output appended to `server.log` in the data folder, waits until it reports itself
    /// ready (as `pg_ctl start -w` does), and creates or resets the test users through
    /// `psql`, which also proves that it takes connections. With ``Options/tls`` it first
    /// makes the certificates and keys of ``TestServer/tls`` and turns on `ssl`.
    ///
    /// Takes about 0.4 s for a new cluster, nearly all of it `initdb`, and about 35 ms for
    /// an existing one; TLS adds about 0.1 s.
    ///
    /// - Throws: ``TestServerError`` when PostgreSQL is not installed or a step fails; the
    ///   error shows the failing command's output and the end of the server's log.
    public static func start(_ options: Options = Options()) throws -> TestServer {
        try ClusterFiles.validate(settings: options.settings)
        let binaries = try PostgresBinaries(directory: options.binDirectory ?? findBinaries())
        let account = try ServerAccount.current()
        let folders = try ClusterFolders(dataDirectory: options.dataDirectory, account: account)
        let watchdog: Watchdog
        do {
            watchdog = try Watchdog(
                pgCtl: binaries.pgCtl,
                dataDirectory: folders.data,
                mode: folders.temporary.contains(folders.data) ? "immediate" : "fast",
                remove: folders.temporary,
                account: account
            )
        } catch {
            folders.removeMadeFolders()
            throw error
        }
        let launched: (port: Int, server: ServerProcess)
        let tls: TLSSetup?
        do {
            if !FileManager.default.fileExists(atPath: folders.data + "/PG_VERSION") {
                try initialize(folders.data, binaries: binaries, account: account)
            }
            try ClusterFiles.includeSettings(dataDirectory: folders.data, account: account)
            tls = try options.tls.map { try TLSFiles.make(dataDirectory: folders.data, options: $0, account: account) }
            try ClusterFiles.writeHostBasedAuthentication(
                dataDirectory: folders.data,
                users: User.all,
                tls: tls,
                account: account
            )
            launched = try launch(options, tls: tls, folders: folders, binaries: binaries, account: account)
        } catch {
            watchdog.simulateOwnerDeath()
            folders.removeMadeFolders()
            throw error
        }

        let server = TestServer(
            port: launched.port,
            socketDirectory: folders.socket,
            dataDirectory: folders.data,
            binaries: binaries,
            account: account,
            temporaryFolders: folders.temporary,
            tls: tls,
            server: launched.server,
            watchdog: watchdog
        )
        do {
            try server.psql(ClusterFiles.userSetupSQL(users: server.users, tls: tls, database: server.database))
        } catch var error as TestServerError {
            error.message = "could not set up the test users: " + error.message
            error.appendOutput(ServerLog(dataDirectory: folders.data).tail(from: 0))
            try? server.stop()
            throw error
        }
        LiveServers.add(server)
        return server
    }

    private static func initialize(_ dataDirectory: String, binaries: PostgresBinaries, account: ServerAccount) throws {
        let command = account.command([
            binaries.initdb, "-D", dataDirectory, "-U", ServerAccount.serverUserName,
            "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
        ])
        let result = try Subprocess.run(command, environment: Subprocess.cleanEnvironment(), timeout: .seconds(120))
        guard result.status == 0 else {
            var message = "initdb failed"
            if result.combinedOutput.contains("Permission denied") && account.owner != nil {
                message += " (the OS user postgres must be able to reach \(dataDirectory): not under /root)"
            }
            throw TestServerError(message, command: command, exitStatus: result.status, output: result.combinedOutput)
        }
    }

    /// Starts the server, on another free port if the first is taken, and waits until it
    /// is ready.
    static func launch(
        _ options: Options,
        tls: TLSSetup?,
        folders: ClusterFolders,
        binaries: PostgresBinaries,
        account: ServerAccount
    ) throws -> (port: Int, server: ServerProcess) {
        let log = ServerLog(dataDirectory: folders.data)
        var attempt = 0
        while true {
            attempt += 1
            let port = try options.port ?? FreePort.pick()
            try ClusterFiles.writeSettings(
                dataDirectory: folders.data,
                port: port,
                socketDirectory: folders.socket,
                tls: tls,
                extra: options.settings,
                account: account
            )
            let logStart = log.size()
            let command = account.command([binaries.postgres, "-D", folders.data])
            let server = try ServerProcess(command: command, dataDirectory: folders.data, logPath: log.path, account: account)
            var failure: TestServerError?
            do {
                try server.waitUntilReady(timeout: options.startTimeout)
            } catch {
                failure = error as? TestServerError ?? TestServerError("\(error)")
            }
            // PostgreSQL starts if it can bind at least one address. If 127.0.0.1 or ::1 was
            // taken, a client could reach another server on that port: treat it as a failure.
            let portTaken = log.text(from: logStart).contains("Address already in use")
            if failure == nil && !portTaken {
                return (port, server)
            }
            server.stop(mode: .immediate)
            if portTaken && options.port == nil && attempt < portAttempts {
                continue
            }
            var error = failure ?? TestServerError("")
            if portTaken {
                error.message = "port \(port) is already in use"
            }
            error.command = command
            error.appendOutput(log.tail(from: logStart))
            throw error
        }
    }
}

/// The server's log, `server.log` in the data folder.
struct ServerLog {
    let path: String

    init(dataDirectory: String) {
        path = dataDirectory + "/server.log"
    }

    func size() -> UInt64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The log from byte `offset` on.
    func text(from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// The last lines written since `offset`, headed for an error's output; empty if none.
    func tail(from offset: UInt64, lines: Int = 40) -> String {
        let text = text(from: offset).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return "" }
        let last = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
        return "--- end of \(path) ---\n" + last.joined(separator: "\n")
    }
}
