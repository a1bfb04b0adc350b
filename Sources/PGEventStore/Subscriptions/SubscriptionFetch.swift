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
        guard let connection = fetchConnection else { throw Self.lost }
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
        if beginsWithFetch { return try await fetchAndBegin(query, on: connection) }
        return try await Self.fetch(query, on: connection, batchSize: options.batchSize, timeout: options.queryTimeout)
    }

    /// Starts fetching the batch after the current one, on the same connection (the query is
    /// pipelined behind whatever the consumer's turn sends, such as a checkpoint).
    func startPrefetch() {
        guard let connection = fetchConnection, prefetch == nil, let query = try? fetchQuery(after: cursor, shares: shares.keys.sorted()) else {
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

    /// Runs a fetch, decoding each row as it arrives.
    static func fetch(_ query: PGQuery, on connection: PGConnection, batchSize: Int, timeout: Duration) async throws -> FetchedBatch {
        try await PGConnection.withQueryTimeout(timeout) {
            var decoder = FetchDecoder(batchSize: batchSize)
            for try await row in try await connection.query(query) { try decoder.add(row) }
            return try decoder.finish()
        }
    }

    /// The exactly-once form's fetch: the query and a BEGIN in one round trip, so that a
    /// batch's transaction is open when its events arrive (the handler starts a round trip
    /// sooner). A fetch that brings nothing to handle ends the transaction at once
    /// (``endOpenTransaction()``).
    func fetchAndBegin(_ query: PGQuery, on connection: PGConnection) async throws -> FetchedBatch {
        let results = try await ownQuery { try await connection.pipeline([query, PGQuery("BEGIN")]) }
        if case .success = try ServerData.element(1, of: results, "results of the fetch and BEGIN") {
            transactionOpen = true
        }
        switch results[0] {
        case .success(let result):
            var decoder = FetchDecoder(batchSize: options.batchSize)
            for row in result.rows { try decoder.add(row) }
            return try decoder.finish()
        case .failure(let error):
            try await endOpenTransaction()
            throw error
        }
    }

    /// Ends a transaction ``fetchAndBegin(_:on:)`` opened and no batch used.
    func endOpenTransaction() async throws {
        guard transactionOpen, let connection else { return }
        transactionOpen = false
        _ = try await ownQuery { try await connection.simpleQuery("ROLLBACK") }
    }

    /// Hands the transaction ``fetchAndBegin(_:on:)`` opened to the batch's handler: true once.
    func takeOpenTransaction() -> Bool {
        defer { transactionOpen = false }
        return transactionOpen
    }
}

/// Decodes a fetch's rows: the barrier (on every row), then the events (none when the one
/// row's event columns are null).
struct FetchDecoder {
    let batchSize: Int
    private var barrier: UInt64?
    private var events: [SubscribedEvent] = []

    init(batchSize: Int) {
        self.batchSize = batchSize
        events.reserveCapacity(batchSize)
    }

    mutating func add(_ row: PGRow) throws {
        if barrier == nil { barrier = try row.decode(PGTransactionID.self, at: 0).rawValue }
        guard let share = try row.decode(Int32?.self, at: 1) else { return }
        guard events.count < batchSize else {
            throw EventStoreError(.unexpectedResult, "asked for \(batchSize) events, the server sent more")
        }
        events.append(SubscribedEvent(event: try RecordedEvent(row: row, offset: 2), share: share))
    }

    func finish() throws -> FetchedBatch {
        guard let barrier else { throw EventStoreError(.unexpectedResult, "a subscription fetch returned no rows") }
        return FetchedBatch(events: events, barrier: barrier, full: events.count == batchSize)
    }
}
