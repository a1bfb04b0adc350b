import Logging

/// The rows of a query, read from the socket as they are iterated: a result of a million rows
/// is never held in memory.
///
/// The sequence holds the connection's read turn until its last row is read: other queries on
/// the same connection are sent at once but read their answers after it. Iterate it once, from
/// one task (a second iterator is refused with ``PGError/Code/invalidArgument``). Dropping it
/// early is fine: the rest of its answer is read, and discarded, by the connection's next
/// query before that query's own answer.
///
/// ```swift
/// for try await row in try await connection.query("SELECT id, name FROM users") {
///     let (id, name) = try row.decode((Int, String).self)
/// }
/// ```
public struct PGRowSequence: AsyncSequence, Sendable {
    public typealias Element = PGRow

    let exchange: ReadExchange<ExtendedQueryMachine>
    /// The result's columns (empty for statements that return no rows).
    public let columns: PGColumns

    /// The command tag (`SELECT 3`, `INSERT 0 1`, ...), known once every row was read.
    public var commandTag: String? { exchange.commandTag }

    public func makeAsyncIterator() -> Iterator { Iterator(exchange: exchange) }

    /// Reads the result's rows one by one from the connection: nil once the command has completed
    /// (``PGRowSequence/commandTag`` is then known); throws the server's error if the statement
    /// fails part way.
    public struct Iterator: AsyncIteratorProtocol {
        let exchange: ReadExchange<ExtendedQueryMachine>
        /// The flow's machine once this iterator claimed the exchange.
        private var machine: ExtendedQueryMachine?
        private var done = false

        init(exchange: ReadExchange<ExtendedQueryMachine>) {
            self.exchange = exchange
        }

        public mutating func next() async throws -> PGRow? {
            if done { return nil }
            if machine == nil {
                machine = try exchange.start()
                if machine == nil {
                    done = true
                    return nil
                }
            }
            let connection = exchange.connection
            do {
                while var current = machine {
                    // Rows are mostly buffered already: decode synchronously, read only when dry.
                    guard let message = try connection.nextBuffered(connection.io) else {
                        _ = try await connection.io.readMore()
                        continue
                    }
                    let action = try current.receive(message)
                    machine = current
                    switch action {
                    case .read:
                        continue
                    case .row(let row):
                        return row
                    case .finished(let tag, let end):
                        // ReadyForQuery: the turn ends here, exactly once; a server error is thrown now.
                        done = true
                        try exchange.finish(commandTag: tag, end)
                        return nil
                    case .columns, .noRows:
                        throw PGError(.protocolViolation, "the server repeated a query's header")
                    }
                }
                return nil
            } catch let error where done {
                throw error
            } catch {
                done = true
                throw exchange.fail(error)
            }
        }

        /// Runs on the caller's actor: iterating from an actor (or the main actor) must not hop
        /// to the global pool and back for every row.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> PGRow? {
            try await next()
        }
    }

    /// Reads every remaining row into an array.
    public func collect() async throws -> [PGRow] {
        var rows: [PGRow] = []
        var iterator = makeAsyncIterator()
        while let row = try await iterator.next() { rows.append(row) }
        return rows
    }
}
