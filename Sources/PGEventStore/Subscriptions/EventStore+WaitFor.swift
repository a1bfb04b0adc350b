import PGWire

extension EventStore {
    /// Appends, then waits until every subscription in `subscriptions` has checkpointed past
    /// the append (read your writes: a query of their projections then sees it).
    ///
    /// A subscription that has not run yet (no checkpoint) is waited for like one that is
    /// behind: one started at the same time as the first request does not fail it.
    ///
    /// - Throws: what ``append(_:)`` throws; then ``EventStoreError/Code/waitTimeout`` when the
    ///   subscriptions did not get there within `timeout` (the append is committed all the
    ///   same), or ``EventStoreError/Code/notFound`` when, at the timeout, a name still belonged
    ///   to no subscription.
    @discardableResult
    public func append(_ writes: [StreamWrite], waitFor subscriptions: [String], timeout: Duration) async throws -> AppendResult {
        let result = try await append(writes)
        if let last = result.positions.max() {
            try await waitForSubscriptions(
                subscriptions, toPass: GlobalPosition(transactionID: result.transactionID, position: last), timeout: timeout)
        }
        return result
    }

    /// ``append(_:waitFor:timeout:)`` for one stream.
    @discardableResult
    public func append(
        to stream: String, expected: ExpectedVersion = .any, _ events: [NewEvent], waitFor subscriptions: [String],
        timeout: Duration
    ) async throws -> AppendResult {
        try await append([StreamWrite(stream: stream, expected: expected, events: events)], waitFor: subscriptions, timeout: timeout)
    }

    /// Waits until every share of each subscription in `names` has a checkpoint at or after
    /// `place`. Woken by the notification each checkpoint save sends; polls as well.
    /// - Throws: ``EventStoreError/Code/waitTimeout``, ``EventStoreError/Code/notFound``.
    public func waitForSubscriptions(_ names: [String], toPass place: GlobalPosition, timeout: Duration) async throws {
        guard !names.isEmpty else { return }
        let deadline = ContinuousClock.now + timeout
        let wake = SubscriptionWake()
        // Listen before the first look, so that no save between the two goes unseen.
        let saves = try await listen(schema.checkpointChannel, timeout: max(.milliseconds(1), timeout))
        let listening = Task {
            do { for try await _ in saves { wake.signal() } } catch {}
            wake.signal()
        }
        defer { listening.cancel() }
        let sql = """
            SELECT subscription, bool_and((transaction_id, position) >= ($2::int8::text::xid8, $3::int8))
            FROM \(schema.table("subscription_checkpoints")) WHERE subscription = ANY($1::text[]) GROUP BY subscription
            """
        let query = try PGQuery(sql, [names, Int64(bitPattern: place.transactionID), place.position])
        while true {
            wake.clear()
            let rows = try await withConnection { try await $0.query(query).collect() }
            var behind = Set(names)
            var known = Set<String>()
            for row in rows {
                let name = try row.decode(String.self, at: 0)
                known.insert(name)
                if try row.decode(Bool.self, at: 1) { behind.remove(name) }
            }
            if behind.isEmpty { return }
            let now = ContinuousClock.now
            guard now < deadline else {
                // A subscription that never ran has no rows: say so rather than "behind".
                if let unknown = names.first(where: { !known.contains($0) }) {
                    throw EventStoreError(
                        .notFound, "no subscription named \(unknown) appeared within \(timeout) (the append at \(place) is committed)")
                }
                throw EventStoreError(
                    .waitTimeout,
                    "the append at \(place) is committed, but subscription(s) \(behind.sorted().joined(separator: ", ")) did not reach it within \(timeout)")
            }
            await wake.wait(timeout: min(deadline - now, .milliseconds(250)))
            try Task.checkCancellation()
        }
    }
}
