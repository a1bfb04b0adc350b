import PGWire

/// The server-side ceiling for the store's own events table, as ``ServerCeiling`` is for the
/// append benchmark's: the rows PGEventStore wrote, exported by the server and loaded back
/// with no client and no network. Twice: all rows in one transaction, and in files of
/// `--batch` rows, one transaction each, so that the store can also be read against a ceiling
/// that commits as often as it does.
enum StoreCeilings {
    static let oneTransactionKey = "server-copy-store"
    static let batchedKey = "server-copy-store-batched"
    /// What the store's COPY path writes; position, transaction_id and created_at are defaults.
    static let columns = "stream_name, stream_version, event_id, event_type, data, metadata"

    /// Needs the store's table to hold the `--events` rows of the last PGEventStore append.
    static func run(_ admin: PGConnection, _ options: Options) async -> [Outcome] {
        var whole = Outcome(
            bench: StoreBench.bench, key: oneTransactionKey, name: "server COPY FROM file (store schema)",
            library: .server, method: "copy", unit: "events")
        var batched = Outcome(
            bench: StoreBench.bench, key: batchedKey, name: "server COPY FROM file (store, batched)",
            library: .server, method: "copy", unit: "events")
        let single: String
        let parts: [String]
        do {
            let files = try await ServerFiles.locate(admin)
            let stored = try await count(admin)
            guard stored == options.events else {
                throw BenchError("needs the \(options.events) events of PGEventStore append; the store holds \(stored)")
            }
            single = files.literal("pgbench-store.copy")
            _ = try await admin.simpleQuery("COPY \(BenchStore.events) (\(columns)) TO \(single) (FORMAT binary)")
            parts = try await exportBatches(admin, files, batchSize: options.batchSize)
        } catch {
            whole.status = ServerFiles.status(for: error)
            batched.status = whole.status
            return [whole, batched]
        }
        await load(&whole, admin, [single], expected: options.events)
        whole.note =
            "one COPY of all \(options.events) events into the store's events table (its four indexes, transaction_id "
            + "and created_at defaults) in 1 transaction; no stream heads; client CPU is idle waiting"
        await load(&batched, admin, parts, expected: options.events)
        batched.note =
            "the same rows from \(parts.count) files of up to \(options.batchSize), one COPY and one commit each (as many "
            + "commits as the store's appends); one simple-query round trip per file"
        for file in [single] + parts { await ServerFiles.empty(admin, file) }
        return [whole, batched]
    }

    /// Writes the rows in position order into files of `batchSize` rows: the batches the
    /// store appended, one per file. Returns the files' literals.
    private static func exportBatches(_ admin: PGConnection, _ files: ServerFiles, batchSize: Int) async throws -> [String] {
        // Each file's first position, found in one pass rather than with OFFSET (quadratic).
        var starts: [Int] = []
        let sql = """
            SELECT position FROM (SELECT position, row_number() OVER (ORDER BY position) AS n FROM \(BenchStore.events)) AS numbered
            WHERE (n - 1) % \(batchSize) = 0 ORDER BY position
            """
        for try await row in try await admin.query(PGQuery(sql)) { starts.append(try row.decode(Int.self, at: 0)) }
        var parts: [String] = []
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? " AND position < \(starts[index + 1])" : ""
            let file = files.literal("pgbench-store-\(index).copy")
            _ = try await admin.simpleQuery(
                "COPY (SELECT \(columns) FROM \(BenchStore.events) WHERE position >= \(start)\(end) ORDER BY position) "
                    + "TO \(file) (FORMAT binary)")
            parts.append(file)
        }
        return parts
    }

    /// Empties the table and times loading `files`, each with its own COPY (and commit).
    private static func load(_ outcome: inout Outcome, _ admin: PGConnection, _ files: [String], expected: Int) async {
        do {
            _ = try await admin.simpleQuery("TRUNCATE \(BenchStore.events)")
            _ = try? await admin.simpleQuery("CHECKPOINT")
            outcome.cost = try await Measure.run(serverPIDs: [admin.processID].compactMap { $0 }) {
                for file in files {
                    _ = try await admin.simpleQuery("COPY \(BenchStore.events) (\(columns)) FROM \(file) (FORMAT binary)")
                }
            }
            outcome.operations = try await count(admin)
            if outcome.operations != expected {
                outcome.status = .failed("the table holds \(outcome.operations) events, not \(expected)")
            }
        } catch {
            outcome.status = ServerFiles.status(for: error)
        }
    }

    private static func count(_ admin: PGConnection) async throws -> Int {
        for try await row in try await admin.query("SELECT count(*) FROM \(unescaped: BenchStore.events)") {
            return try row.decode(Int.self, at: 0)
        }
        return 0
    }
}
