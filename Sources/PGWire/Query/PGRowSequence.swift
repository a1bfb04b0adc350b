import Logging

/// The rows of a query, read from the socket as they are iterated: a result of a million rows
/// is never held in memory.
///
/// The sequence holds the connection's read turn until its last row is read: other queries on
/// the same connection are sent at once but read their answers after it. Iterate it once, from one task. Dropping it early is fine: the
/// remaining rows are read and discarded in the background before the connection is released.
///
/// ```swift
/// for try await row in try await connection.query("SELECT id, name FROM users") {
///     let (id, name) = try row.decode((Int, String).self)
/// }
/// ```
public struct PGRowSequence: AsyncSequence, Sendable {
    public typealias Element = PGRow

    let stream: RowStream

    /// The result's columns (empty for statements that return no rows).
    public var columns: PGColumns { stream.columns }

    /// The command tag (`SELECT 3`, `INSERT 0 1`, ...), known once every row was read.
    public var commandTag: String? { stream.commandTag }

    public func makeAsyncIterator() -> Iterator { Iterator(stream: stream) }

    public struct Iterator: AsyncIteratorProtocol {
        let stream: RowStream

        public mutating func next() async throws -> PGRow? {
            try await stream.next()
        }

        /// Runs on the caller's actor: iterating from an actor (or the main actor) must not hop
        /// to the global pool and back for every row.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> PGRow? {
            try await stream.next()
        }
    }

    /// Reads every remaining row into an array.
    public func collect() async throws -> [PGRow] {
        var rows: [PGRow] = []
        while let row = try await stream.next() { rows.append(row) }
        return rows
    }
}

/// The reading state behind a ``PGRowSequence``. It holds the connection's read turn from the
/// query's first answer until ReadyForQuery, and gives it up exactly once. Other tasks may send
/// their queries meanwhile (pipelining); they read after it.
final class RowStream: @unchecked Sendable {
    let connection: PGConnection
    let columns: PGColumns
    private(set) var commandTag: String?
    private var finished: Bool
    private var failure: (any Error)?
    /// Decides what each message of the rest of the answer means.
    private var machine: ExtendedQueryMachine

    /// True when the exchange is complete and the lock released (or never held).
    var isFinished: Bool { finished }

    /// A stream that still has rows (and the rest of the exchange) to read.
    init(connection: PGConnection, columns: PGColumns, machine: ExtendedQueryMachine) {
        self.connection = connection
        self.columns = columns
        self.machine = machine
        self.finished = false
    }

    /// A stream whose exchange is already complete (a statement without rows).
    init(completed connection: PGConnection, commandTag: String?) {
        self.connection = connection
        self.columns = PGColumns([])
        self.commandTag = commandTag
        self.machine = ExtendedQueryMachine(closes: 0, parse: false, known: nil)
        self.finished = true
    }

    deinit {
        // Dropped before the end: read the rest off the socket, then release the turn.
        if !finished { connection.discardRestInBackground() }
    }

    func next() async throws -> PGRow? {
        if finished {
            if let failure { throw failure }
            return nil
        }
        do {
            if let row = try await nextRow() { return row }
        } catch {
            finished = true
            let thrown = connection.failExchange(error)
            connection.endRead()
            failure = thrown
            throw thrown
        }
        // ReadyForQuery: the turn ends here, exactly once; a server error is thrown now.
        finished = true
        connection.endRead()
        if let failure { throw failure }
        return nil
    }

    /// Reads up to the next DataRow; nil at ReadyForQuery, with a server error kept in
    /// ``failure`` so the connection is in step when the caller sees it.
    private func nextRow() async throws -> PGRow? {
        let io = connection.io
        while true {
            // Rows are mostly buffered already: decode synchronously, read only when dry.
            guard let message = try connection.nextBuffered(io) else {
                _ = try await io.readMore()
                continue
            }
            switch try machine.receive(message) {
            case .read:
                continue
            case .row(let row):
                return row
            case .finished(let tag, let end):
                commandTag = tag
                connection.ready(end.status)
                if let fields = end.error { failure = connection.serverError(fields) }
                return nil
            case .columns, .noRows:
                throw PGError(.protocolViolation, "the server repeated a query's header")
            }
        }
    }

    /// Reads and discards the rest of an exchange; returns the command tag.
    /// (Used by sequences dropped before their end, see ``PGConnection/discardRestInBackground()``.)
    static func readToEnd(_ connection: PGConnection) async throws -> String? {
        var machine = DrainMachine()
        while true {
            switch try machine.receive(try await connection.receive(connection.io)) {
            case .read:
                continue
            case .finished(let tag, let end):
                try connection.finish(end)
                return tag
            }
        }
    }
}

extension PGConnection {
    /// Reads the rest of the current exchange in a new task and then gives up the read turn:
    /// for a row or COPY sequence dropped before its end, whose deinit cannot wait.
    func discardRestInBackground() {
        Task {
            do {
                _ = try await RowStream.readToEnd(self)
            } catch {
                let failure = failExchange(error)
                logger.debug("discarding unread results failed", metadata: ["error": "\(failure)"])
            }
            endRead()
        }
    }
}
