import Foundation

extension TestServer {
    /// Starts a hot standby of this server: a streaming replica on its own free port, in a
    /// fresh temporary folder, that ``stop()`` deletes like any other.
    ///
    /// ```swift
    /// let primary = try TestServer.start()
    /// let standby = try primary.startStandby()
    /// // connect with host=127.0.0.1,127.0.0.1 port=<primary.port>,<standby.port> ...
    /// try standby.promote()   // a failover: the standby becomes a primary
    /// ```
    ///
    /// It runs `pg_basebackup -R -X stream` from this server (the superuser may replicate over
    /// TCP, see `pg_hba.conf`), so the copy writes `standby.signal` and a `primary_conninfo`
    /// pointing here, then starts the copy with its own port and socket folder. The test users
    /// and everything else come from the primary; the standby serves reads only, and without
    /// TLS even when the primary has it. `options.settings` are added to the standby's
    /// settings; the other options (data folder, TLS) do not apply.
    ///
    /// - Throws: ``TestServerError`` when `pg_basebackup` is missing or a step fails.
    public func startStandby(_ options: Options = Options()) throws -> TestServer {
        guard FileManager.default.isExecutableFile(atPath: binaries.pgBasebackup) else {
            throw TestServerError("\(binaries.pgBasebackup) is missing: a standby needs pg_basebackup")
        }
        let folders = try ClusterFolders(dataDirectory: nil, account: account)
        let watchdog: Watchdog
        do {
            watchdog = try Watchdog(
                pgCtl: binaries.pgCtl, dataDirectory: folders.data, mode: "immediate", remove: folders.temporary,
                account: account)
        } catch {
            folders.removeMadeFolders()
            throw error
        }
        let launched: (port: Int, server: ServerProcess)
        do {
            try copyForStandby(into: folders.data)
            var standbyOptions = Options()
            standbyOptions.settings = options.settings
            standbyOptions.startTimeout = options.startTimeout
            launched = try Self.launch(standbyOptions, tls: nil, folders: folders, binaries: binaries, account: account)
        } catch {
            watchdog.simulateOwnerDeath()
            folders.removeMadeFolders()
            throw error
        }
        let standby = TestServer(
            port: launched.port, socketDirectory: folders.socket, dataDirectory: folders.data, binaries: binaries,
            account: account, temporaryFolders: folders.temporary, tls: nil, server: launched.server, watchdog: watchdog)
        LiveServers.add(standby)
        return standby
    }

    /// Whether the server is a standby still in recovery (`pg_is_in_recovery()`).
    public func isInRecovery() throws -> Bool {
        try psql("SELECT pg_is_in_recovery()") == "t"
    }

    /// Promotes this standby to a primary and waits until it takes writes (`pg_promote`, which
    /// waits up to `timeout`).
    /// - Throws: ``TestServerError`` when the server is not a standby or did not finish in time.
    public func promote(timeout: Duration = .seconds(60)) throws {
        let seconds = max(1, Int(timeout.components.seconds))
        guard try psql("SELECT pg_promote(true, \(seconds))") == "t" else {
            throw TestServerError("the standby at port \(port) did not finish its promotion within \(seconds) s")
        }
    }

    /// Waits until this standby has replayed everything `primary` had written when the call
    /// began (its `pg_current_wal_insert_lsn()`: with `synchronous_commit` off, a commit may
    /// still sit in the WAL buffers, past `pg_current_wal_lsn()`), polling every 10 ms.
    /// - Throws: ``TestServerError`` when that takes longer than `timeout`.
    public func waitForReplay(of primary: TestServer, timeout: Duration = .seconds(30)) throws {
        // The insert position, less a page header when it points just past one (at a page or
        // segment start nothing has been written there yet, and replay stops before it).
        let target = try primary.psql("""
            SELECT CASE WHEN at % segment = 40 THEN lsn - 40 WHEN at % page = 24 THEN lsn - 24 ELSE lsn END
            FROM (SELECT pg_current_wal_insert_lsn() AS lsn, pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS at,
                         current_setting('wal_block_size')::int8 AS page,
                         pg_size_bytes(current_setting('wal_segment_size')) AS segment) AS p
            """)
        let deadline = ContinuousClock.now + timeout
        while true {
            let caughtUp = try psql("SELECT pg_last_wal_replay_lsn() >= '\(target)'::pg_lsn")
            if caughtUp == "t" { return }
            guard ContinuousClock.now < deadline else {
                throw TestServerError("the standby at port \(port) had not replayed up to \(target) within \(timeout)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Copies this running cluster into `folder` (empty, owned by the server's user) as a
    /// standby of it.
    private func copyForStandby(into folder: String) throws {
        let command = account.command([
            binaries.pgBasebackup, "-h", host, "-p", "\(port)", "-U", superuser, "-D", folder,
            "-R", "-X", "stream", "-c", "fast", "--no-sync", "-w",
        ])
        let result = try Subprocess.run(command, environment: Subprocess.cleanEnvironment(), timeout: .seconds(120))
        guard result.status == 0 else {
            throw TestServerError(
                "pg_basebackup from \(host):\(port) failed", command: command, exitStatus: result.status,
                output: result.combinedOutput)
        }
        // The copy came with the primary's settings file; the launch rewrites it with the
        // standby's own port and socket folder.
    }
}
