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
        let plan = try AppendPlan(writes)
        return try await leases.withConnection { connection in
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

    private func appendInOneRoundTrip(_ plan: AppendPlan, on connection: PGConnection) async throws -> AppendResult {
        // One statement in its own implicit transaction: all of it commits, or none.
        if plan.eventCount == 1 {
            let rows = try await connection.query(
                PGQuery(statements.moveHeadAndInsertOne, [
                    plan.names[0], plan.kinds[0], plan.exactVersions[0], plan.labels[0], plan.ids[0], plan.types[0],
                    plan.data[0], plan.metadata[0], schema.notificationChannel,
                ])
            ).collect()
            return try Self.result(plan, written: rows)
        }
        let rows = try await connection.query(
            PGQuery(statements.moveHeadsAndInsert, [
                plan.names, plan.counts, plan.kinds, plan.exactVersions, plan.labels,
                plan.streamIndexes, plan.distances, plan.ids, plan.types, plan.data, plan.metadata,
                schema.notificationChannel,
            ])
        ).collect()
        return try Self.result(plan, written: rows)
    }

    private func appendByCopy(_ plan: AppendPlan, on connection: PGConnection) async throws -> AppendResult {
        do {
            let heads = try await connection.batch([
                PGQuery("BEGIN"),
                PGQuery(statements.moveHeads, [plan.names, plan.counts, plan.kinds, plan.exactVersions, plan.labels]),
            ])[1].rows
            // The new versions, in the order of plan.names.
            let newVersions = try heads.first?.decode([Int64].self, at: 0) ?? []
            guard newVersions.count == plan.names.count else {
                throw EventStoreError(.invalidArgument, "\(newVersions.count) heads moved for \(plan.names.count) streams")
            }
            _ = try await connection.copyIn(
                table: "events", schema: schema.name,
                columns: ["stream_name", "stream_version", "event_id", "event_type", "data", "metadata"]
            ) { writer in
                for index in 0..<plan.eventCount {
                    let head = newVersions[Int(plan.streamIndexes[index]) - 1]
                    try await writer.writeRow(
                        plan.eventStreams[index], head - plan.distances[index], plan.ids[index], plan.types[index],
                        plan.data[index], plan.metadata[index])
                }
            }
            let results = try await connection.batch([
                PGQuery(statements.writtenAndNotify, [schema.notificationChannel]),
                PGQuery("COMMIT"),
            ])
            return try Self.result(plan, written: results[0].rows)
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
        guard rows.count == plan.eventCount else {
            throw EventStoreError(.invalidArgument, "the append wrote \(rows.count) of \(plan.eventCount) events")
        }
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
