import Logging
import PGWire

/// The checkpoints moved under this runner: a reset, or a runner that took a share this one
/// believed it held. The batch is rolled back and the checkpoints read again.
struct CheckpointMoved: Error {}

/// A checkpoint save: its statement, and what it saves for each share.
struct CheckpointSave {
    let query: PGQuery
    let shares: [(Int32, ShareCheckpoint)]
    /// The newest notified transaction when the save was made.
    let notified: UInt64
}

extension SubscriptionEngine {
    /// True when the at-least-once checkpoint should be saved now: enough events, or enough
    /// time with events handled.
    var dueForSave: Bool {
        guard name != nil else { return false }
        if unsavedEvents >= options.checkpointEvery { return true }
        return unsavedEvents > 0 && clock.now - lastSave >= options.checkpointInterval
    }

    /// Before waiting for new events: save if events were handled, or if appends happened since
    /// the last save (those this subscription's filter skips must still count as passed, for
    /// ``EventStore/append(_:waitFor:timeout:)``).
    func saveWhenIdle() async throws {
        guard name != nil else { return }
        let handled = shares.values.contains { $0.handledSinceSave > 0 }
        let moved = shares.values.contains { $0.handled != $0.saved }
        if handled || (moved && wake.latestTransaction > notifiedAtSave) { try await save() }
    }

    /// Saves the handled places of the held shares (outside a transaction). A checkpoint that
    /// moved under this runner is read again, and the batch in hand dropped.
    func save() async throws {
        do {
            try await saveCheckpoints(shares)
        } catch is CheckpointMoved {
            try await reloadCheckpoints()
        }
    }

    /// The shares of `checkpoints` whose place or count changed, and the statement that saves
    /// them; nil when none changed.
    func saveStatement(_ checkpoints: [Int32: ShareCheckpoint]) throws -> CheckpointSave? {
        guard let name else { return nil }
        let dirty = checkpoints.filter { $0.value.handled != $0.value.saved || $0.value.handledSinceSave > 0 }
            .sorted { $0.key < $1.key }
        guard !dirty.isEmpty else { return nil }
        let query = try PGQuery(statements.saveShares, [
            name, dirty.map(\.key),
            dirty.map { Int64(bitPattern: $0.value.saved.transactionID) }, dirty.map(\.value.saved.position),
            dirty.map { Int64(bitPattern: $0.value.handled.transactionID) }, dirty.map(\.value.handled.position),
            dirty.map(\.value.handledSinceSave), store.schema.checkpointChannel,
        ])
        return CheckpointSave(query: query, shares: dirty.map { ($0.key, $0.value) }, notified: wake.latestTransaction)
    }

    /// Records a committed save.
    func recordSaved(_ save: CheckpointSave) {
        for (share, checkpoint) in save.shares {
            shares[share] = ShareCheckpoint(saved: checkpoint.handled, handled: max(checkpoint.handled, shares[share]?.handled ?? .start))
        }
        lastSave = clock.now
        notifiedAtSave = save.notified
        unsavedEvents = 0
        metrics.checkpointSaved()
    }

    /// Writes `checkpoints` for the shares whose place or count changed, each only if the
    /// table still holds what this runner last saved there; on success records them as saved.
    /// - Throws: ``CheckpointMoved`` when some share's row had moved (nothing is saved then).
    func saveCheckpoints(_ checkpoints: [Int32: ShareCheckpoint]) async throws {
        guard let connection, let save = try saveStatement(checkpoints) else {
            lastSave = clock.now
            unsavedEvents = 0
            return
        }
        do {
            _ = try await ownQuery { try await connection.query(save.query).collect() }
        } catch let error as PGError where error.sqlState == SubscriptionStatements.checkpointMovedState {
            throw CheckpointMoved()
        }
        recordSaved(save)
    }

    /// Reads the held shares' checkpoints again (after a reset moved them) and restarts the
    /// fetch from the lowest; the batch in hand is dropped.
    func reloadCheckpoints() async throws {
        guard let name, let connection else { return }
        let held = shares.keys.sorted()
        let rows = try await ownQuery { try await connection.query(PGQuery(statements.loadShares, [name, held])).collect() }
        var reloaded: [Int32: ShareCheckpoint] = [:]
        for row in rows {
            let place = GlobalPosition(
                transactionID: try row.decode(PGTransactionID.self, at: 1).rawValue, position: try row.decode(Int64.self, at: 2))
            reloaded[try row.decode(Int32.self, at: 0)] = ShareCheckpoint(saved: place, handled: place)
        }
        shares = reloaded
        unsavedEvents = 0
        caughtUpBelow = nil
        cursor = reloaded.values.map(\.handled).min() ?? .start
        batch = SubscriptionBatch(events: [], through: cursor)
        batchIndex = 0
        handedOut = nil
        logger.debug("subscription checkpoints moved under it; resuming from the table", metadata: ["from": "\(cursor)"])
    }
}
