import PGWire

extension EventStore {
    /// Appends `events` to one stream, if its version is as `expected`.
    ///
    /// - Returns: the stream's new version and each event's global position.
    /// - Throws: ``EventStoreError/Code/versionConflict`` naming the stream, the expected and
    ///   the actual version when the expectation does not hold (nothing is written);
    ///   ``EventStoreError/Code/idempotencyViolation`` when an event id is already stored with
    ///   other content or at another place. A retry of an append that was already stored
    ///   returns the original result.
    @discardableResult
    public func append(to stream: String, expected: ExpectedVersion = .any, _ events: [NewEvent]) async throws -> AppendResult {
        try await append([StreamWrite(stream: stream, expected: expected, events: events)])
    }

    /// Appends to several streams in one transaction: every expectation holds and every event
    /// is written, or nothing is.
    ///
    /// Small appends travel as one statement in one round trip; from
    /// ``Configuration/copyThreshold`` events on, the events go as binary COPY inside the
    /// same transaction as the version checks.
    @discardableResult
    public func append(_ writes: [StreamWrite]) async throws -> AppendResult {
        if writes.count == 1, writes[0].events.count == 1 { return try await appendOne(writes[0]) }
        let plan = try AppendPlan(writes)
        return try await withAppendConnection(events: plan.eventCount) { connection in
            do {
                if plan.eventCount >= configuration.copyThreshold {
                    return try await appendByCopy(plan, on: connection)
                }
                return try await appendInOneRoundTrip(plan, on: connection)
            } catch let error as PGError {
                return try await recover(from: error, plan, on: connection)
            }
        }
    }

    /// One event to one stream, the most common append: one statement without the plan's
    /// column arrays (built only if the append fails and may be a retry).
    private func appendOne(_ write: StreamWrite) async throws -> AppendResult {
        try AppendPlan.validate(streamName: write.stream)
        if case .exact(let version) = write.expected, version < 0 {
            throw EventStoreError(.invalidArgument, "expected version \(version) is negative", stream: write.stream)
        }
        let event = write.events[0]
        let metadata = try AppendPlan.encode(event.metadata)
        let query = try PGQuery(statements.moveHeadAndInsertOne, [
            write.stream, write.expected.kind, write.expected.exactVersion, write.expected.description, event.id, event.type,
            JSONText(event.data), metadata, schema.notificationChannel,
        ])
        return try await withAppendConnection(events: 1) { connection in
            do {
                let (rows, commitLSN) = try await runCommitting(query, on: connection)
                let row = try ServerData.exactly(1, rows, "rows for the appended event")[0]
                return AppendResult(
                    versions: [write.stream: try row.decode(Int64.self, at: 1)], positions: [try row.decode(Int64.self, at: 0)],
                    transactionID: try row.decode(PGTransactionID.self, at: 2).rawValue, commitLSN: commitLSN)
            } catch let error as PGError {
                return try await recover(from: error, try AppendPlan([write]), on: connection)
            }
        }
    }

    private func appendInOneRoundTrip(_ plan: AppendPlan, on connection: PGConnection) async throws -> AppendResult {
        // One statement in its own implicit transaction: all of it commits, or none.
        let query =
            plan.names.count == 1
            ? try PGQuery(statements.moveHeadAndInsertMany, [
                plan.names[0], plan.counts[0], plan.kinds[0], plan.exactVersions[0], plan.labels[0],
                plan.distances, plan.ids, plan.types, plan.data, plan.metadata, schema.notificationChannel,
            ])
            : try PGQuery(statements.moveHeadsAndInsert, [
                plan.names, plan.counts, plan.kinds, plan.exactVersions, plan.labels,
                plan.streamIndexes, plan.distances, plan.ids, plan.types, plan.data, plan.metadata,
                schema.notificationChannel,
            ])
        let (rows, commitLSN) = try await runCommitting(query, on: connection)
        var result = try Self.result(plan, written: rows)
        result.commitLSN = commitLSN
        return result
    }

    private func appendByCopy(_ plan: AppendPlan, on connection: PGConnection) async throws -> AppendResult {
        do {
            let begun = try await connection.batch([
                PGQuery("BEGIN"),
                PGQuery(statements.moveHeadsAndDrawPositions, [
                    plan.names, plan.counts, plan.kinds, plan.exactVersions, plan.labels, Int32(plan.eventCount),
                ]),
            ])
            let drawn = try ServerData.exactly(
                1, try ServerData.element(1, of: begun, "results of the BEGIN and head-moving batch").rows, "head-moving rows")[0]
            // The new versions, in the order of plan.names (so streamIndexes below stay in range).
            let newVersions = try ServerData.exactly(plan.names.count, try drawn.decode([Int64].self, at: 0), "new stream versions")
            let positions = try ServerData.exactly(plan.eventCount, try drawn.decode([Int64].self, at: 1), "drawn positions")
            let transaction = try drawn.decode(PGTransactionID.self, at: 2)
            var versions: [String: Int64] = [:]
            for (index, name) in plan.names.enumerated() { versions[name] = newVersions[index] }
            _ = try await connection.copyIn(
                table: "events", schema: schema.name,
                columns: ["position", "stream_name", "stream_version", "event_id", "event_type", "data", "metadata"]
            ) { writer in
                for index in 0..<plan.eventCount {
                    let head = newVersions[Int(plan.streamIndexes[index]) - 1]
                    let version = try ServerData.difference(
                        head, plan.distances[index], "the version of an event below the new head of \(plan.eventStreams[index])")
                    try await writer.writeRow(
                        positions[index], plan.eventStreams[index], version, plan.ids[index], plan.types[index], plan.data[index],
                        plan.metadata[index])
                }
            }
            // One notification per transaction, as the statement paths send (the same payload).
            let payload = #"{"transaction_id":\#(transaction.rawValue),"position":\#(positions.max() ?? 0)}"#
            let ending = [try PGQuery("SELECT pg_notify($1, $2)", [schema.notificationChannel, payload]), PGQuery("COMMIT")]
            let ended = try await connection.batch(tracksCommits ? ending + [Self.commitPositionQuery] : ending)
            let commitLSN = tracksCommits ? try recordCommit(try ServerData.element(2, of: ended, "results of the commit batch")) : nil
            return AppendResult(versions: versions, positions: positions, transactionID: transaction.rawValue, commitLSN: commitLSN)
        } catch {
            if !connection.isClosed, connection.transactionStatus != .idle {
                _ = try? await connection.simpleQuery("ROLLBACK")
            }
            throw error
        }
    }

    /// The result from the written rows: (position, stream_version, transaction_id) in the
    /// order the events were given.
    private static func result(_ plan: AppendPlan, written rows: [PGRow]) throws -> AppendResult {
        _ = try ServerData.exactly(plan.eventCount, rows, "rows for the appended events")
        var positions: [Int64] = []
        positions.reserveCapacity(rows.count)
        var versions: [String: Int64] = [:]
        var transaction = PGTransactionID(rawValue: 0)
        for (index, row) in rows.enumerated() {
            positions.append(try row.decode(Int64.self, at: 0))
            let version = try row.decode(Int64.self, at: 1)
            versions[plan.eventStreams[index]] = max(versions[plan.eventStreams[index]] ?? 0, version)
            transaction = try row.decode(PGTransactionID.self, at: 2)
        }
        return AppendResult(versions: versions, positions: positions, transactionID: transaction.rawValue)
    }
}
