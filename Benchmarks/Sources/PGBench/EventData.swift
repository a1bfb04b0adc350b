import Foundation

/// One transaction's worth of events, column by column (the shape the unnest INSERT binds;
/// the COPY contenders walk it row by row).
struct EventBatch: Sendable {
    var ids: [UUID] = []
    var streams: [String] = []
    var versions: [Int] = []
    var types: [String] = []
    /// The payload JSON text, ~150 bytes.
    var payloads: [[UInt8]] = []
    /// `{"correlationId": "<uuid>"}`.
    var metadata: [[UInt8]] = []

    var count: Int { ids.count }
}

enum EventData {
    /// The columns every append contender writes, in this order.
    static let columns = ["event_id", "stream_id", "stream_version", "event_type", "payload", "metadata"]

    static let createTable = """
        DROP TABLE IF EXISTS events;
        CREATE TABLE events (
            global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id uuid UNIQUE,
            stream_id text,
            stream_version bigint,
            event_type text,
            payload jsonb,
            metadata jsonb,
            created_at timestamptz DEFAULT now(),
            UNIQUE (stream_id, stream_version)
        );
        """

    /// Fills the table on the server alone, with rows of the same shapes as ``make(events:streams:batchSize:)``,
    /// for benchmarks that need a full table without running the append contenders.
    static func fillOnServer(events: Int, streams: Int) -> String {
        """
        INSERT INTO events (event_id, stream_id, stream_version, event_type, payload, metadata)
        SELECT gen_random_uuid(), 'order-' || lpad((i % \(streams))::text, 5, '0'), i / \(streams) + 1,
               (ARRAY['OrderPlaced','OrderPaid','OrderShipped','OrderDelivered'])[i % 4 + 1],
               \(payloadSQL),
               jsonb_build_object('correlationId', gen_random_uuid()::text)
        FROM generate_series(0, \(events - 1)) AS i
        """
    }

    /// The server's version of ``payload(_:)`` for event `i` (an SQL expression in `i`), shared
    /// by every table filled on the server so that all of them hold the same payloads. The
    /// products are bigint: `i * 7919` leaves int4 from i = 271,197 on.
    static let payloadSQL = """
        jsonb_build_object('orderId', 'ord-' || lpad(i::text, 9, '0'), 'customerId', 'cust-' || lpad((i % 9973)::text, 6, '0'),
                   'amount', (i::int8 * 7919) % 100000, 'currency', 'EUR',
                   'items', jsonb_build_array(jsonb_build_object('sku', 'SKU-' || lpad((i % 5000)::text, 5, '0'), 'quantity', i % 5 + 1, 'price', (i::int8 * 31) % 10000)),
                   'channel', 'web')
        """

    static let types = ["OrderPlaced", "OrderPaid", "OrderShipped", "OrderDelivered"]

    /// `events` events over `streams` streams, cut into transactions of `batchSize`. Event `i`
    /// goes to stream `i % streams` as its version `i / streams + 1`, so every batch touches
    /// up to `batchSize` different streams, as concurrent writers would.
    static func make(events: Int, streams: Int, batchSize: Int) -> [EventBatch] {
        let streamNames = (0..<streams).map { "order-" + zeroPadded($0, 5) }
        var batches: [EventBatch] = []
        batches.reserveCapacity((events + batchSize - 1) / batchSize)
        var batch = EventBatch()
        for i in 0..<events {
            if batch.count == batchSize {
                batches.append(batch)
                batch = EventBatch()
            }
            batch.ids.append(UUID())
            batch.streams.append(streamNames[i % streams])
            batch.versions.append(i / streams + 1)
            batch.types.append(types[i % types.count])
            batch.payloads.append(payload(i))
            batch.metadata.append(Array("{\"correlationId\": \"\(UUID().uuidString.lowercased())\"}".utf8))
        }
        if batch.count > 0 { batches.append(batch) }
        return batches
    }

    /// An order's JSON, ~150 bytes.
    static func payload(_ i: Int) -> [UInt8] {
        let text = """
            {"orderId":"ord-\(zeroPadded(i, 9))","customerId":"cust-\(zeroPadded(i % 9973, 6))","amount":\((i &* 7919) % 100_000),\
            "currency":"EUR","items":[{"sku":"SKU-\(zeroPadded(i % 5000, 5))","quantity":\(i % 5 + 1),\
            "price":\((i &* 31) % 10_000)}],"channel":"web"}
            """
        return Array(text.utf8)
    }

    static func zeroPadded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
