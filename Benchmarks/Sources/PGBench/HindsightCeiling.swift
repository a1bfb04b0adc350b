import PGWire

/// The server-side ceiling for a reference schema: the events table of the hindsight event
/// store (global order by (transaction_no, seq_no), uuid stream ids, no metadata column), in
/// a schema of its own, filled on the server with rows of the same shapes, exported and loaded
/// back with one COPY in one transaction.
enum HindsightCeiling {
    static let key = "server-copy-hindsight"
    static let schema = "pgbench_hindsight"
    static let columns =
        "transaction_no, seq_no, event_id, stream_id, event_name, event_version, payload, stream_version"

    static let createTable = """
        DROP SCHEMA IF EXISTS \(schema) CASCADE;
        CREATE SCHEMA \(schema);
        CREATE TABLE \(schema).events (
            transaction_no bigint,
            seq_no int,
            event_id uuid PRIMARY KEY,
            stream_id uuid,
            event_name text,
            event_version int,
            payload jsonb,
            stream_version bigint,
            created_at timestamptz DEFAULT now(),
            UNIQUE (transaction_no, seq_no)
        );
        CREATE INDEX ON \(schema).events (stream_id, stream_version);
        """

    /// Event `i` as EventData makes it: transaction `i / batchSize` (its place `i % batchSize`),
    /// stream `i % streams` (a uuid derived from the stream's name), version `i / streams + 1`,
    /// the same payload.
    static func fill(events: Int, streams: Int, batchSize: Int) -> String {
        """
        INSERT INTO \(schema).events (\(columns))
        SELECT i / \(batchSize), i % \(batchSize), gen_random_uuid(), md5('order-' || lpad((i % \(streams))::text, 5, '0'))::uuid,
               (ARRAY['OrderPlaced','OrderPaid','OrderShipped','OrderDelivered'])[i % 4 + 1], 1,
               \(EventData.payloadSQL),
               i / \(streams) + 1
        FROM generate_series(0, \(events - 1)) AS i
        """
    }

    static func run(_ admin: PGConnection, _ options: Options) async -> Outcome {
        var outcome = Outcome(
            bench: StoreBench.bench, key: key, name: "server COPY FROM file (hindsight schema)", library: .server,
            method: "copy", unit: "events")
        var file: String?
        do {
            let literal = try await ServerFiles.locate(admin).literal("pgbench-hindsight.copy")
            file = literal
            _ = try await admin.simpleQuery(createTable)
            _ = try await admin.simpleQuery(
                fill(events: options.events, streams: options.streams, batchSize: options.batchSize))
            _ = try await admin.simpleQuery("COPY \(schema).events (\(columns)) TO \(literal) (FORMAT binary)")
            // A new table rather than TRUNCATE: the load builds its indexes from nothing, as the
            // other ceilings' do.
            _ = try await admin.simpleQuery(createTable)
            _ = try? await admin.simpleQuery("CHECKPOINT")
            outcome.cost = try await Measure.run(serverPIDs: [admin.processID].compactMap { $0 }) {
                _ = try await admin.simpleQuery("COPY \(schema).events (\(columns)) FROM \(literal) (FORMAT binary)")
            }
            for try await row in try await admin.query("SELECT count(*) FROM \(unescaped: schema).events") {
                outcome.operations = try row.decode(Int.self, at: 0)
            }
            if outcome.operations != options.events {
                outcome.status = .failed("the table holds \(outcome.operations) events, not \(options.events)")
            }
            outcome.note =
                "hindsight's events table (PK event_id, unique (transaction_no, seq_no), index (stream_id, stream_version)), "
                + "rows of the same shapes made by the server; one COPY in 1 transaction"
        } catch {
            outcome.status = ServerFiles.status(for: error)
        }
        if let file { await ServerFiles.empty(admin, file) }
        _ = try? await admin.simpleQuery("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        return outcome
    }
}
