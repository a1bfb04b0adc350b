import Logging
import PGWire
import Synchronization

extension EventStore {
    /// An append's connection: `body` runs as in ``withConnection(_:)``, inside
    /// ``withPartitions(events:_:)``.
    func withAppendConnection(events: Int, _ body: (PGConnection) async throws -> AppendResult) async throws -> AppendResult {
        try await withPartitions(events: events) { try await withConnection(body) }
    }

    /// Runs an append so that a partitioned events table has its partitions before appends
    /// need them, at no cost to appends that stay below the horizon (one atomic load).
    ///
    /// After a committed append whose highest position reached ``partitionHorizon`` (the
    /// first append of a store always does), the next partitions are created on another
    /// statement: the append itself cannot, since ATTACH PARTITION refuses a table that the
    /// session's running statement uses. A batch that outruns the partitions made ahead (more
    /// than `ahead` partitions' worth of positions at once, or a store partitioned by another
    /// process since this one looked) fails on the server with "no partition of relation",
    /// having written nothing: the partitions for `events` more positions are then made and
    /// the append runs once more (with new positions: the failed attempt's stay unused).
    func withPartitions(events: Int, _ append: () async throws -> AppendResult) async throws -> AppendResult {
        let result: AppendResult
        do {
            result = try await append()
        } catch let error as PGError where Self.lacksPartition(error) {
            guard try await withConnection({ try await ensurePartitions(upcoming: Int64(events), on: $0) }) != nil else { throw error }
            result = try await append()
        }
        if let highest = result.positions.max(), highest >= partitionHorizon.load(ordering: .relaxed) {
            // The append is committed: a failure here must not read as the append's.
            do {
                _ = try await withConnection { try await ensurePartitions(on: $0) }
            } catch {
                configuration.logger.debug("creating the next partitions failed: \(error)")
            }
        }
        return result
    }

    /// The server's error for a row whose position no partition covers (SQLSTATE 23514, as a
    /// CHECK violation, with this message since PostgreSQL 11).
    static func lacksPartition(_ error: PGError) -> Bool {
        error.sqlState == "23514" && error.message.hasPrefix("no partition of relation")
    }
}
