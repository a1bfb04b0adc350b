#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
import PGWire

/// A store's state at a glance.
public struct StoreStatus: Sendable, Hashable {
    /// The schema version (0 before migrating).
    public var schemaVersion: Int
    /// The last event in the global order that readers can see, nil for an empty store.
    public var head: GlobalPosition?
    /// The highest position written, committed or still in flight.
    public var highestPosition: Int64?
    /// Events stored.
    public var eventCount: Int64
    /// Streams written (deleted ones included).
    public var streamCount: Int64
    /// Readers see transactions below this one (`pg_snapshot_xmin(pg_current_snapshot())`).
    public var barrier: UInt64
    /// The oldest running transaction, which holds the barrier back: while it runs, events
    /// of later transactions wait for it.
    public var barrierHolder: BarrierHolder?
    /// The named subscriptions with their checkpoints, lag and runners (see
    /// ``EventStore/subscriptions()``).
    public var subscriptions: [SubscriptionInfo] = []
    /// The standbys streaming from the server the store appends to, as its
    /// `pg_stat_replication` shows them; empty without standbys. Their lag needs a role with
    /// `pg_monitor` (or a superuser): for others PostgreSQL hides it (nil).
    public var standbys: [StandbyStatus] = []
    /// The server reads go to, when they go elsewhere
    /// (``EventStore/Configuration/readConnection``); nil when reads share the store's pool.
    public var readServer: ReadServerStatus?
}

/// A standby streaming from the primary (a row of `pg_stat_replication`).
public struct StandbyStatus: Sendable, Hashable {
    /// Its `application_name` (the standby's `cluster_name` or what its `primary_conninfo` sets).
    public var name: String
    /// Its address, nil over a Unix socket.
    public var address: String?
    /// `streaming`, `catchup`, `startup`, ...
    public var state: String?
    /// WAL bytes written on the primary that the standby has not replayed yet.
    public var replayLagBytes: Int64?
    /// How long the standby took to replay recent commits (`replay_lag`); nil when idle.
    public var replayLagSeconds: Double?
}

/// Where the store's reads go and how far behind the primary it is.
public struct ReadServerStatus: Sendable, Hashable {
    /// The server a read connection reached (`host:port` or the socket).
    public var server: String
    /// Whether it is a standby in recovery; false when reads fell back to a primary.
    public var isStandby: Bool
    /// WAL bytes the primary has written and this standby has not replayed; 0 for a primary.
    public var replayLagBytes: Int64?
    /// When the standby last replayed a commit (`pg_last_xact_replay_timestamp()`); with
    /// nothing to replay this grows old without any lag.
    public var lastReplayAt: Date?
}

/// The backend whose transaction holds the read barrier back.
public struct BarrierHolder: Sendable, Hashable {
    /// Its process id (`pg_terminate_backend` takes it).
    public var pid: Int32
    /// When its transaction began.
    public var since: Date?
    /// Its `application_name`.
    public var applicationName: String?
    /// Its state: `active`, `idle in transaction`, ...
    public var state: String?
    /// Its transaction id as `pg_stat_activity` shows it: the 32-bit `xid`, without the epoch
    /// that `xid8` values (``StoreStatus/barrier``) carry in their high bits.
    public var transactionID: UInt64
}

extension EventStore {
    /// The schema version, the head, counts and the read barrier with its holder.
    public func status() async throws -> StoreStatus {
        let events = schema.table("events")
        let streams = schema.table("streams")
        let migrator = Migrator(schema: schema)
        var status = try await withConnection { connection in
            let version = try await migrator.currentVersion(connection)
            let barrierRow = try await connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())").collect()
            let barrier = try ServerData.element(0, of: barrierRow, "rows for the read barrier").decode(PGTransactionID.self, at: 0).rawValue
            var status = StoreStatus(
                schemaVersion: version, head: nil, highestPosition: nil, eventCount: 0, streamCount: 0, barrier: barrier,
                barrierHolder: nil)
            if version > 0 {
                let heads = try await connection.batch([
                    PGQuery("""
                        SELECT transaction_id, position FROM \(unescaped: events)
                        WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                        ORDER BY transaction_id DESC, position DESC LIMIT 1
                        """),
                    PGQuery("SELECT max(position), count(*) FROM \(unescaped: events)"),
                    PGQuery("SELECT count(*) FROM \(unescaped: streams) WHERE version > 0"),
                ])
                let batch = "results of the status batch (3 statements)"
                if let row = try ServerData.element(0, of: heads, batch).rows.first {
                    status.head = GlobalPosition(
                        transactionID: try row.decode(PGTransactionID.self, at: 0).rawValue, position: try row.decode(Int64.self, at: 1))
                }
                let counts = try ServerData.element(0, of: ServerData.element(1, of: heads, batch).rows, "rows of the event counts")
                status.highestPosition = try counts.decode(Int64?.self, at: 0)
                status.eventCount = try counts.decode(Int64.self, at: 1)
                let streamRow = try ServerData.element(0, of: ServerData.element(2, of: heads, batch).rows, "rows of the stream count")
                status.streamCount = try streamRow.decode(Int64.self, at: 0)
            }
            // The oldest transaction that has an id; our own has none (this connection only reads).
            let holder = try await connection.query("""
                SELECT pid, xact_start, application_name, state, backend_xid::text::int8
                FROM pg_stat_activity
                WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
                ORDER BY age(backend_xid) DESC LIMIT 1
                """).collect()
            if let row = holder.first {
                status.barrierHolder = BarrierHolder(
                    pid: try row.decode(Int32.self, at: 0), since: try row.decode(Date?.self, at: 1),
                    applicationName: try row.decode(String?.self, at: 2), state: try row.decode(String?.self, at: 3),
                    transactionID: try ServerData.unsigned(try row.decode(Int64.self, at: 4), "the barrier holder's transaction id"))
            }
            return status
        }
        if status.schemaVersion >= 2 { status.subscriptions = try await subscriptions() }
        try await addReplication(to: &status)
        return status
    }

    /// The standbys the primary streams to, and the read server's lag.
    private func addReplication(to status: inout StoreStatus) async throws {
        let (standbys, primaryLSN) = try await withConnection { connection -> ([StandbyStatus], Int64?) in
            let rows = try await connection.query("""
                SELECT application_name, host(client_addr), state,
                       (CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END - replay_lsn)::int8,
                       extract(epoch FROM replay_lag)::float8
                FROM pg_stat_replication ORDER BY application_name, client_addr
                """).collect()
            let standbys = try rows.map { row in
                StandbyStatus(
                    name: try row.decode(String?.self, at: 0) ?? "", address: try row.decode(String?.self, at: 1),
                    state: try row.decode(String?.self, at: 2), replayLagBytes: try row.decode(Int64?.self, at: 3),
                    replayLagSeconds: try row.decode(Double?.self, at: 4))
            }
            let position = try await connection.query(
                "SELECT (CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::int8"
            ).collect()
            return (standbys, try ServerData.element(0, of: position, "rows of the WAL position").decode(Int64?.self, at: 0))
        }
        status.standbys = standbys
        guard readsElsewhere else { return }
        status.readServer = try await withReadConnection { connection in
            let rows = try await connection.query(
                "SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8, pg_last_xact_replay_timestamp()"
            ).collect()
            let row = try ServerData.element(0, of: rows, "rows of the read server's replay")
            let standby = try row.decode(Bool.self, at: 0)
            let replayed = try row.decode(Int64?.self, at: 1)
            var lag: Int64? = standby ? nil : 0
            if standby, let replayed, let primaryLSN { lag = max(0, primaryLSN - replayed) }
            return ReadServerStatus(
                server: connection.server.description, isStandby: standby, replayLagBytes: lag,
                lastReplayAt: try row.decode(Date?.self, at: 2))
        }
    }
}
