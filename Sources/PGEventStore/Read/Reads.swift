import PGWire

/// Which way a stream is read.
public enum ReadDirection: Sendable, Hashable {
    /// Oldest first.
    case forward
    /// Newest first.
    case backward
}

extension EventStore {
    /// The events of one stream, from version `from` on (inclusive) in `direction`, at most
    /// `limit`.
    ///
    /// A stream that was never written reads as empty (use ``streamInfo(_:)`` to tell it from
    /// an empty result). A soft-deleted stream shows only the events appended after its
    /// deletion. `from` defaults to the first version forward and to the last backward.
    ///
    /// Runs on ``readPool``: a standby when ``Configuration/readConnection`` names one.
    public func readStream(
        _ stream: String, from version: Int64? = nil, direction: ReadDirection = .forward, limit: Int? = nil
    ) -> EventPages {
        let events = schema.table("events")
        let streams = schema.table("streams")
        let forward = direction == .forward
        let sql = """
            SELECT \(RecordedEvent.columns) FROM \(events)
            WHERE stream_name = $1 AND stream_version \(forward ? ">=" : "<=") $2
              AND stream_version > coalesce((SELECT deleted_version FROM \(streams) WHERE stream_name = $1), 0)
            ORDER BY stream_version \(forward ? "ASC" : "DESC") LIMIT $3
            """
        let start = version ?? (forward ? 1 : Int64.max)
        return EventPages(pageSize: configuration.pageSize, limit: limit) { [self] last, count in
            // The next page starts one version beyond the last event; a version at the edge of
            // int8 has no neighbour and would trap here.
            var from = start
            if let last {
                let what = "the next version to read from stream \(stream) after \(last.version)"
                from = forward ? try ServerData.sum(last.version, 1, what) : try ServerData.difference(last.version, 1, what)
            }
            return try await withReadConnection { connection in
                try await connection.query(PGQuery(sql, [stream, from, Int64(count)])).collect().map { try RecordedEvent(row: $0) }
            }
        }
    }

    /// All events after `position` in the global order, optionally only those whose stream's
    /// category is in `categories` and whose type is in `types`, at most `limit`.
    ///
    /// Only transactions that committed before the oldest still running one are read
    /// (`pg_snapshot_xmin(pg_current_snapshot())`): a reader never skips an event whose
    /// transaction commits late. ``status()`` names the backend holding that barrier. Events of
    /// soft-deleted streams stay in this log. Runs on ``readPool``; on a standby the barrier is
    /// the standby's own.
    public func readAll(
        after position: GlobalPosition = .start, categories: [String] = [], types: [String] = [], limit: Int? = nil
    ) -> EventPages {
        var filters = ""
        var next = 4
        if !categories.isEmpty {
            filters += " AND split_part(stream_name, '-', 1) = ANY($\(next)::text[])"
            next += 1
        }
        if !types.isEmpty { filters += " AND event_type = ANY($\(next)::text[])" }
        let sql = """
            SELECT \(RecordedEvent.columns) FROM \(schema.table("events"))
            WHERE (transaction_id, position) > ($1::xid8, $2::int8)
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())\(filters)
            ORDER BY transaction_id, position LIMIT $3
            """
        return EventPages(pageSize: configuration.pageSize, limit: limit) { [self] last, count in
            let after = last?.globalPosition ?? position
            var values: [any PGEncodable] = [PGTransactionID(rawValue: after.transactionID), after.position, Int64(count)]
            if !categories.isEmpty { values.append(categories) }
            if !types.isEmpty { values.append(types) }
            return try await withReadConnection { connection in
                try await connection.query(PGQuery(sql, values)).collect().map { try RecordedEvent(row: $0) }
            }
        }
    }
}
