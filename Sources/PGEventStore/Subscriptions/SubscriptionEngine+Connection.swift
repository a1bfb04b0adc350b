import Logging
import PGWire

extension SubscriptionEngine {
    /// Connects when there is no live connection: LISTEN for appends, join the members, make
    /// sure the share rows exist, and rebalance at once.
    func ensureConnected() async throws {
        if let connection, !connection.isClosed {
            try await ensureReadConnection()
            return
        }
        dropConnection()
        // LISTEN and the advisory locks need a session of their own: not a transaction pooler.
        let configuration = try store.sessionConfiguration(for: "a subscription")
        let connection = try await PGConnection.connect(configuration)
        do {
            try await ownQuery {
                let appends = try await connection.listen(store.schema.notificationChannel)
                listening = Task { [wake] in
                    do {
                        for try await notification in appends {
                            if notification.payload.hasPrefix(#"{"reset":"#) {
                                wake.signalReset()
                            } else {
                                wake.signal(transaction: Self.transaction(in: notification.payload))
                            }
                        }
                    } catch {}
                    // The listener ended (connection lost): look at the table now.
                    wake.signal()
                }
                if let locks {
                    memberID = try await locks.join(on: connection)
                    if let previous = previousMemberID {
                        previousMemberID = nil
                        // Without the right to signal it (another role's session), wait for
                        // the server to notice instead.
                        do { try await locks.endPreviousSession(previous, on: connection) } catch let error as PGError where !connection.isClosed {
                            logger.debug("could not end the previous session", metadata: ["pid": "\(previous)", "error": "\(error)"])
                        }
                    }
                    if !started { try await createShares(on: connection) }
                } else if !started {
                    let start = try await resolveStart(on: connection)
                    shares = [0: ShareCheckpoint(saved: start, handled: start)]
                    cursor = start
                }
                started = true
            }
        } catch {
            await connection.close()
            throw error
        }
        self.connection = connection
        nextRebalance = clock.now
        logger.debug("subscription connected", metadata: ["pid": "\(connection.processID ?? 0)"])
        try await ensureReadConnection()
    }

    /// When the store reads elsewhere (a standby), the at-least-once form fetches its events
    /// there, on a connection of its own, with that server's read barrier; LISTEN, the share
    /// locks and the checkpoints stay on the primary. An append's notification can arrive
    /// before the standby has replayed it: the fetch then finds the notified transaction above
    /// the standby's barrier and looks again after a short, growing wait (``idleWait``), as
    /// it does on the primary behind an older open transaction. The exactly-once form runs its
    /// handler's writes in the fetch's transaction, so it fetches on the primary.
    func ensureReadConnection() async throws {
        guard store.readsElsewhere, !beginsWithFetch else { return }
        if let readConnection, !readConnection.isClosed { return }
        prefetch = nil
        readConnection = try await PGConnection.connect(store.readPool.configuration.connection)
    }

    /// The connection fetches run on: the read connection when there is one.
    var fetchConnection: PGConnection? { readConnection ?? connection }

    /// The transaction id in an append notification's payload (`{"transaction_id":N,...}`).
    static func transaction(in payload: String) -> UInt64? {
        guard let key = payload.utf8.firstRange(of: #""transaction_id":"#.utf8) else { return nil }
        var value: UInt64 = 0
        var digits = 0
        for byte in payload.utf8[key.upperBound...] {
            guard byte >= 0x30, byte <= 0x39, digits < 19 else { break }
            value = value * 10 + UInt64(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// The start place from the options (for a follower): `.end` is the read barrier now.
    func resolveStart(on connection: PGConnection) async throws -> GlobalPosition {
        if let place = try await options.start.place(in: store.schema, on: connection) { return place }
        let rows = try await connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())").collect()
        let barrier = try ServerData.element(0, of: rows, "rows of the read barrier").decode(PGTransactionID.self, at: 0)
        return GlobalPosition(transactionID: barrier.rawValue, position: 0)
    }

    /// Creates the share rows a new subscription lacks, and refuses a share count other than
    /// the one the subscription was created with.
    func createShares(on connection: PGConnection) async throws {
        guard let name else { return }
        let place = try await options.start.place(in: store.schema, on: connection)
        let atEnd = place == nil
        let start = place ?? .start
        let results = try await connection.batch([
            try PGQuery(statements.createShares, [
                name, Int32(options.partitions), atEnd, Int64(bitPattern: start.transactionID), start.position,
                filter.categories, filter.streams, filter.types,
            ]),
            try PGQuery(statements.shareCounts, [name]),
        ])
        let rows = try ServerData.element(1, of: results, "results of creating the shares").rows
        let counts = try rows.map { try $0.decode(Int32.self, at: 0) }
        guard !counts.isEmpty else {
            throw EventStoreError(.unexpectedResult, "subscription \(name) has no checkpoint rows right after creating them")
        }
        guard counts == [Int32(options.partitions)] else {
            throw EventStoreError(
                .invalidArgument,
                "subscription \(name) was created with \(counts.map(String.init).joined(separator: ", ")) partitions, "
                    + "started now with \(options.partitions); reset it to change that")
        }
    }

    /// Moves shares to and from this member: gives up those no longer assigned to it (after
    /// saving their checkpoints) and takes those assigned and free.
    func rebalance() async throws {
        nextRebalance = clock.now + options.rebalanceInterval
        guard let locks, let connection, let memberID, let name else { return }
        try await ownQuery {
            let members = try await locks.members(on: connection)
            guard members.contains(memberID) else { throw Self.lost }
            let assigned = SubscriptionLocks.assignment(shareCount: options.partitions, members: members, me: memberID)
            let release = shares.keys.filter { !assigned.contains($0) }.sorted()
            if !release.isEmpty {
                try await save()
                try await locks.unlock(release, on: connection)
                for share in release { shares[share] = nil }
                logger.debug("subscription released shares", metadata: ["shares": "\(release)", "members": "\(members.count)"])
            }
            let wanted = assigned.filter { shares[$0] == nil }.sorted()
            let taken = try await locks.tryLock(wanted, on: connection)
            guard !taken.isEmpty else { return }
            let rows = try await connection.query(PGQuery(statements.loadShares, [name, taken])).collect()
            let hadShares = !shares.isEmpty
            for row in rows {
                let share = try row.decode(Int32.self, at: 0)
                let place = GlobalPosition(
                    transactionID: try row.decode(PGTransactionID.self, at: 1).rawValue, position: try row.decode(Int64.self, at: 2))
                shares[share] = ShareCheckpoint(saved: place, handled: place)
                cursor = hadShares ? min(cursor, place) : place
            }
            if !hadShares, let lowest = shares.values.map(\.handled).min() { cursor = lowest }
            // The new shares may have events waiting: fetch now rather than wait for an append.
            caughtUpBelow = nil
            metrics.sharesHeld(shares.count)
            logger.debug("subscription took shares", metadata: ["shares": "\(taken)", "members": "\(members.count)"])
        }
    }

    /// True for errors after which the subscription reconnects and resumes from its checkpoint:
    /// its connection broke or closed, or the server could not be reached or was shutting down.
    func isConnectionLoss(_ error: any Error) -> Bool {
        if let connection, connection.isClosed { return true }
        if let readConnection, readConnection.isClosed { return true }
        guard let error = error as? PGError else { return false }
        switch error.code {
        case .connectionRefused, .connectionFailed, .serverClosedConnection, .closed: return true
        case .timeout: return true
        case .server:
            // 57P01..57P03: admin shutdown, crash shutdown, cannot connect now (starting up).
            return error.serverFields[.sqlState].map { $0.hasPrefix("57P") || $0.hasPrefix("08") } ?? false
        default: return false
        }
    }

    /// Forgets the connection and what it held (its locks end with it), waits out the backoff.
    func recover(from error: any Error) async throws {
        failures += 1
        metrics.reconnected()
        logger.debug("subscription lost its connection", metadata: ["error": "\(error)", "failures": "\(failures)"])
        dropConnection()
        try await Task.sleep(for: options.reconnectBackoff.delay(afterFailures: failures - 1))
    }

    /// Drops the connection (closing it in the background) and everything that depended on it.
    func dropConnection() {
        prefetch = nil
        transactionOpen = false
        caughtUpBelow = nil
        listening?.cancel()
        listening = nil
        if let connection {
            Task { await connection.close() }
        }
        connection = nil
        if let readConnection {
            Task { await readConnection.close() }
        }
        readConnection = nil
        if let memberID { previousMemberID = memberID }
        memberID = nil
        batch = SubscriptionBatch(events: [], through: cursor)
        batchIndex = 0
        handedOut = nil
        // A named subscription's shares (and locks) went with the connection; it resumes from
        // the saved checkpoints. A follower keeps its place.
        if name != nil {
            shares = [:]
            metrics.sharesHeld(0)
        } else if let place = shares[0]?.handled {
            cursor = place
        }
    }

    /// Runs `body`; on a connection loss, drops the connection (the next fetch reconnects).
    func withConnectionLoss(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error where isConnectionLoss(error) { dropConnection() }
    }

    /// The graceful end: save what was handled, give up the shares, close.
    func finish() async throws {
        guard !finished else { return }
        finished = true
        if let connection, !connection.isClosed {
            try await withConnectionLoss {
                try await self.endOpenTransaction()
                try await self.save()
                if let locks = self.locks { try await self.ownQuery { try await locks.unlock(self.shares.keys.sorted(), on: connection) } }
            }
        }
        listening?.cancel()
        listening = nil
        if let connection { await connection.close() }
        connection = nil
        if let readConnection { await readConnection.close() }
        readConnection = nil
        logger.debug("subscription stopped")
    }
}

extension SubscriptionEngine {
    /// The end after an error: close the connection (its locks go with it), save nothing.
    func abandon() async {
        finished = true
        listening?.cancel()
        listening = nil
        if let connection { await connection.close() }
        connection = nil
        if let readConnection { await readConnection.close() }
        readConnection = nil
    }
}
