import PGWire
import Synchronization

extension EventStore {
    /// Asks for the WAL position just past the commit that the statement before it ended (an
    /// int8; `pg_lsn` minus zero is numeric). The insert position points at where the next
    /// record goes: when that is the start of a WAL page, past the page's header (24 bytes, 40
    /// at the start of a segment), where a standby that replayed the commit never gets until
    /// more WAL comes (ReplicaBench waited out its timeout on `0/3244018` against a replay at
    /// `0/3244000`). The header is taken off again, so the position is the commit's end.
    static let commitPositionQuery = PGQuery("""
        SELECT (CASE WHEN at % segment = 40 THEN at - 40 WHEN at % page = 24 THEN at - 24 ELSE at END)::int8
        FROM (SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS at,
                     current_setting('wal_block_size')::int8 AS page,
                     pg_size_bytes(current_setting('wal_segment_size')) AS segment) AS p
        """)
    /// How far a standby has replayed; NULL on a server that is not in recovery.
    static let replayPositionQuery = PGQuery("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8")

    /// Runs `body` on a connection borrowed from ``readPool`` (``pool`` when reads do not go
    /// elsewhere). With ``Configuration/readYourWrites``, the connection's server has first
    /// replayed this store's latest append.
    func withReadConnection<T>(_ body: (PGConnection) async throws -> T) async throws -> T {
        guard readsElsewhere else { return try await withConnection(body) }
        guard !closed.load(ordering: .acquiring) else { throw Self.storeClosed() }
        var borrowed = false
        do {
            return try await readPool.withConnection { connection in
                borrowed = true
                if let limit = configuration.readYourWrites {
                    try await waitForReplay(of: replay.latestCommit, on: connection, timeout: limit)
                }
                return try await body(connection)
            }
        } catch let error as PGError where !borrowed {
            throw acquireFailure(error)
        }
    }

    /// Waits until the read server has replayed the commit of `result` (so that reads see its
    /// events), for at most `timeout`. Returns at once when reads are not on a standby of
    /// their own, or when the append carries no commit position.
    ///
    /// - Throws: ``EventStoreError/Code/replayTimeout`` when the standby is still behind.
    public func waitForReplay(of result: AppendResult, timeout: Duration) async throws {
        guard readsElsewhere, let lsn = result.commitLSN else { return }
        try await withReadConnection { connection in try await waitForReplay(of: lsn, on: connection, timeout: timeout) }
    }

    /// Polls the connection's server until it has replayed `lsn` (four looks in a row, then a
    /// growing pause between looks, at most 20 ms). A server that is not a standby has
    /// everything the primary committed, if it is that primary.
    func waitForReplay(of lsn: UInt64, on connection: PGConnection, timeout: Duration) async throws {
        guard lsn > 0 else { return }
        let server = connection.server.description
        if replay.hasReplayed(lsn, on: server) { return }
        let deadline = ContinuousClock.now + timeout
        // Replay on a nearby standby takes tens of microseconds: the first looks follow each
        // other at once (a round trip apart; a sleep costs more than the wait, ReplicaBench),
        // then the pauses grow.
        var looks = 0
        var pause = Duration.microseconds(100)
        while true {
            looks += 1
            let rows = try await connection.query(Self.replayPositionQuery).collect()
            guard let replayed = try ServerData.element(0, of: rows, "rows of the replay position").decode(Int64?.self, at: 0) else {
                return
            }
            replay.saw(UInt64(bitPattern: replayed), replayedOn: server)
            if UInt64(bitPattern: replayed) >= lsn { return }
            guard ContinuousClock.now + pause < deadline else {
                throw EventStoreError(
                    .replayTimeout,
                    "the standby at \(server) had not replayed this store's last append (WAL \(Self.lsnText(lsn)), replayed \(Self.lsnText(UInt64(bitPattern: replayed)))) within \(timeout)"
                )
            }
            if looks <= 4 { continue }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    /// An LSN as PostgreSQL prints it: `16/B374D848`.
    static func lsnText(_ lsn: UInt64) -> String {
        String(lsn >> 32, radix: 16, uppercase: true) + "/" + String(lsn & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    /// Runs an append statement that commits by itself (its own implicit transaction) and
    /// returns its rows; when commits are tracked, the commit's WAL position comes back in the
    /// same round trip (a second statement after the first one's Sync) and is recorded.
    func runCommitting(_ query: PGQuery, on connection: PGConnection) async throws -> (rows: [PGRow], commitLSN: UInt64?) {
        guard tracksCommits else { return (try await connection.query(query).collect(), nil) }
        let results = try await connection.pipeline([query, Self.commitPositionQuery])
        let rows = try ServerData.element(0, of: results, "results of the append and its commit position").get().rows
        return (rows, try recordCommit(try ServerData.element(1, of: results, "results of the append and its commit position").get()))
    }

    /// Records the commit position that ``commitPositionQuery`` returned.
    func recordCommit(_ result: PGQueryResult) throws -> UInt64 {
        let lsn = UInt64(bitPattern: try ServerData.element(0, of: result.rows, "rows of the commit position").decode(Int64.self, at: 0))
        replay.committed(at: lsn)
        return lsn
    }
}
