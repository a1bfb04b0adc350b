import PGWire

/// One fetch's result: the events after the cursor below the barrier, at most a batch.
struct FetchedBatch: Sendable {
    let events: [SubscribedEvent]
    let barrier: UInt64
    /// A whole batch came back: more may follow at once.
    let full: Bool

    var parts: (events: [SubscribedEvent], barrier: UInt64, full: Bool) { (events, barrier, full) }
}

/// A fetch started ahead, and what it asked for: it is used only if a fetch now would ask
/// the same (same place, same shares, same connection).
struct Prefetch {
    let cursor: GlobalPosition
    let shares: [Int32]
    let connection: ObjectIdentifier
    let task: Task<FetchedBatch, any Error>
}

extension SubscriptionEngine {
    /// The next batch: the one fetched ahead if it still fits, else a query now.
    func fetch() async throws -> FetchedBatch {
        guard let connection else { throw Self.lost }
        let held = shares.keys.sorted()
        if let ahead = prefetch {
            prefetch = nil
            if ahead.cursor == cursor, ahead.shares == held, ahead.connection == ObjectIdentifier(connection) {
                do {
                    return try await ahead.task.value
                } catch where !isConnectionLoss(error) {
                    // Fetched ahead at a bad moment (say, behind a failed statement): ask again.
                }
            }
        }
        let query = try fetchQuery(after: cursor, shares: held)
        return try await Self.fetch(query, on: connection, batchSize: options.batchSize, timeout: options.queryTimeout)
    }

    /// Starts fetching the batch after the current one, on the same connection (the query is
    /// pipelined behind whatever the consumer's turn sends, such as a checkpoint).
    func startPrefetch() {
        guard let connection, prefetch == nil, let query = try? fetchQuery(after: cursor, shares: shares.keys.sorted()) else {
            return
        }
        let batchSize = options.batchSize
        let timeout = options.queryTimeout
        let task = Task { () async throws -> FetchedBatch in
            try await SubscriptionEngine.fetch(query, on: connection, batchSize: batchSize, timeout: timeout)
        }
        prefetch = Prefetch(cursor: cursor, shares: shares.keys.sorted(), connection: ObjectIdentifier(connection), task: task)
    }

    func fetchQuery(after place: GlobalPosition, shares held: [Int32]) throws -> PGQuery {
        var values: [any PGEncodable] = [Int64(bitPattern: place.transactionID), place.position, Int64(options.batchSize)]
        values += SubscriptionStatements.fetchValues(filter, shares: held, shareCount: shareCount)
        return try PGQuery(fetchSQL, values)
    }

    /// Runs a fetch, decoding each row as it arrives: the barrier, then the events (none when
    /// the one row's event columns are null).
    static func fetch(_ query: PGQuery, on connection: PGConnection, batchSize: Int, timeout: Duration) async throws -> FetchedBatch {
        try await PGConnection.withQueryTimeout(timeout) {
            var barrier: UInt64?
            var events: [SubscribedEvent] = []
            events.reserveCapacity(batchSize)
            for try await row in try await connection.query(query) {
                if barrier == nil { barrier = try row.decode(PGTransactionID.self, at: 0).rawValue }
                guard let share = try row.decode(Int32?.self, at: 1) else { continue }
                guard events.count < batchSize else {
                    throw EventStoreError(.unexpectedResult, "asked for \(batchSize) events, the server sent more")
                }
                events.append(SubscribedEvent(event: try RecordedEvent(row: row, offset: 2), share: share))
            }
            guard let barrier else { throw EventStoreError(.unexpectedResult, "a subscription fetch returned no rows") }
            return FetchedBatch(events: events, barrier: barrier, full: events.count == batchSize)
        }
    }
}
