#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PGWire

extension EventStore {
    /// Turns a failed append into its typed error, unless it failed because it had already
    /// been stored: a retry after a lost acknowledgement then gets the original result.
    func recover(from error: PGError, _ plan: AppendPlan, on connection: PGConnection) async throws -> AppendResult {
        let constraint = error.serverFields[.constraintName]
        let isConflict = error.sqlState == "PGE01"
        let isDuplicateID = error.sqlState == "23505" && constraint == "events_event_id_key"
        guard isConflict || isDuplicateID else {
            if error.sqlState == "23505" && constraint == "events_stream_name_stream_version_key" {
                throw EventStoreError(
                    .versionConflict, "another writer took the same stream version: \(error.message)", underlying: error)
            }
            throw error
        }
        if let original = try await storedOriginal(plan, on: connection) { return original }
        if isConflict { throw Self.conflict(from: error) }
        throw EventStoreError(.duplicateEvent, "an event id of this append is already stored: \(error.message)", underlying: error)
    }

    /// The conflict the server raised: its detail is `actual=<n|none> expected=<e> stream=<name>`.
    static func conflict(from error: PGError) -> EventStoreError {
        let detail = error.serverFields[.detail] ?? ""
        var actual: Int64?
        var expected: String?
        var stream: String?
        if let streamRange = detail.firstRange(of: " stream=") {
            stream = String(detail[streamRange.upperBound...])
            for field in detail[..<streamRange.lowerBound].split(separator: " ") {
                if field.hasPrefix("actual=") { actual = Int64(field.dropFirst("actual=".count)) }
                if field.hasPrefix("expected=") { expected = String(field.dropFirst("expected=".count)) }
            }
        }
        return EventStoreError(
            .versionConflict,
            "wrong expected version for stream \(stream ?? "?"): expected \(expected ?? "?"), actual \(actual.map(String.init) ?? "no stream")",
            stream: stream, expectedVersion: expected.flatMap(ExpectedVersion.init), actualVersion: actual, underlying: error)
    }

    /// The original result when every event of `plan` is already stored as given, at
    /// consecutive versions of its stream and by one transaction; nil when none of them is.
    /// - Throws: ``EventStoreError/Code/idempotencyViolation`` when some are stored and some
    ///   not, or stored with other content or elsewhere.
    private func storedOriginal(_ plan: AppendPlan, on connection: PGConnection) async throws -> AppendResult? {
        // One row per id of the plan, in its order: the loop below indexes the plan by row.
        let rows = try ServerData.exactly(
            plan.eventCount,
            try await connection.query(
                PGQuery(statements.storedEvents, [plan.ids, plan.types, plan.data, plan.metadata])
            ).collect(), "rows for the append's stored events")
        var positions: [Int64] = []
        var versions: [String: Int64] = [:]
        var transaction: PGTransactionID?
        var missing = 0
        for (index, row) in rows.enumerated() {
            guard let position = try row.decode(Int64?.self, at: 1) else {
                missing += 1
                continue
            }
            let id = plan.ids[index]
            let stream = try row.decode(String.self, at: 2)
            let version = try row.decode(Int64.self, at: 3)
            let writtenBy = try row.decode(PGTransactionID.self, at: 4)
            let same = try row.decode(Bool?.self, at: 5) ?? false
            func violation(_ what: String) -> EventStoreError {
                EventStoreError(
                    .idempotencyViolation, "event \(id) is already stored \(what)", stream: plan.eventStreams[index])
            }
            guard stream == plan.eventStreams[index] else { throw violation("in stream \(stream)") }
            guard same else { throw violation("with another type, data or metadata") }
            if let previous = versions[stream],
                version != (try ServerData.sum(previous, 1, "the version after \(previous) of stream \(stream)"))
            {
                throw violation("at version \(version) of \(stream), not right after the append's previous event")
            }
            if transaction == nil { transaction = writtenBy }
            guard writtenBy == transaction else { throw violation("by another append") }
            versions[stream] = version
            positions.append(position)
        }
        if missing == rows.count { return nil }
        guard missing == 0 else {
            throw EventStoreError(
                .idempotencyViolation,
                "\(rows.count - missing) of the append's \(rows.count) events are already stored and \(missing) are not")
        }
        // The first event of each stream must sit where the expectation put it.
        for (index, name) in plan.names.enumerated() {
            guard let last = versions[name] else { continue }
            // The version before the first event (compared with the expectation without adding
            // to it: the caller's expected version may be Int64.max).
            let before = try ServerData.difference(last, plan.counts[index], "the version of stream \(name) before the append")
            if case .exact(let expected) = plan.expectations[index], before != expected {
                throw EventStoreError(
                    .idempotencyViolation,
                    "the events of stream \(name) are stored after version \(before), not after the expected \(expected)",
                    stream: name)
            }
        }
        return AppendResult(versions: versions, positions: positions, transactionID: transaction?.rawValue ?? 0)
    }
}
