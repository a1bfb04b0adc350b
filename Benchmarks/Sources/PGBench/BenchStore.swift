import PGEventStore
import PGWire

/// A PGEventStore in a fresh schema of PGBench's own, and the server processes serving it.
///
/// The store opens its connections itself, so their backends are found by a per-run
/// `application_name` in `pg_stat_activity` once they are open.
enum BenchStore {
    /// The store's schema. Not the library's default `pgevents`, because it is dropped before
    /// every run and PGBench may be pointed at a real database with `--url`.
    static let schema = "pgbench_store"
    static let events = schema + ".events"
    static let streams = schema + ".streams"

    /// The library's default `copyThreshold`.
    static let defaultCopyThreshold = EventStore.Configuration(connection: .init(host: "localhost", user: "x"))
        .copyThreshold

    /// Drops the schema, migrates a new store into it and checkpoints, so that no run pays for
    /// an earlier one's rows or dirty pages. `name` becomes the connections' application_name.
    static func fresh(
        _ target: Target, _ admin: PGConnection, name: String, copyThreshold: Int, maximumConnections: Int = 4
    ) async throws -> EventStore {
        _ = try await admin.simpleQuery("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        var connection = target.pgwire
        connection.applicationName = name
        let store = try EventStore(
            EventStore.Configuration(
                connection: connection, schema: schema, maximumConnections: maximumConnections,
                copyThreshold: copyThreshold))
        do {
            try await store.migrate()
            _ = try? await admin.simpleQuery("CHECKPOINT")
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// The backends of the store's open connections.
    static func serverPIDs(_ admin: PGConnection, name: String) async throws -> [Int32] {
        var pids: [Int32] = []
        let rows = try await admin.query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() ORDER BY pid",
            [name])
        for try await row in rows { pids.append(try row.decode(Int32.self, at: 0)) }
        return pids
    }

    /// Throws unless the store holds `expected` events and its heads add up to them (versions
    /// are 1-based and gapless, so the heads' sum is the number of events).
    static func check(_ admin: PGConnection, expected: Int) async throws {
        var stored = 0
        var heads = 0
        let sql = "SELECT (SELECT count(*) FROM \(events)), (SELECT coalesce(sum(version), 0)::int8 FROM \(streams))"
        for try await row in try await admin.query(PGQuery(sql)) {
            stored = try row.decode(Int.self, at: 0)
            heads = try row.decode(Int.self, at: 1)
        }
        guard stored == expected, heads == expected else {
            throw BenchError("the store holds \(stored) events and its heads add up to \(heads), not \(expected)")
        }
    }
}
