import Synchronization

/// One exchange whose answer is read while the caller iterates it (a row or COPY sequence):
/// it holds the connection's read turn from its header until its ReadyForQuery.
///
/// The turn has one owner at a time. The iterator that claims the exchange reads with the
/// flow's state machine as a value of its own; a second iterator is refused. When the
/// sequence is dropped before its end, nothing is read here and no task is started: the turn
/// passes to the connection's next reader, which reads the rest of this answer first
/// (``PGConnection/settleAbandoned()``).
final class ReadExchange<Machine: Sendable>: Sendable {
    private enum State: Sendable {
        /// Nobody iterates yet; the machine waits for the first iterator.
        case unclaimed(Machine)
        /// An iterator reads the answer.
        case claimed
        /// The answer was read to its end (or failed); the turn is given back.
        case ended(commandTag: String?, failure: (any Error)?)
    }

    let connection: PGConnection
    private let state: Mutex<State>
    /// True when the exchange was over before anyone iterated (a statement without rows):
    /// its creator gives the turn back. Immutable, so reading it takes no lock.
    let wasCompleteAtCreation: Bool

    /// An exchange whose answer is still to be read; the caller holds the read turn.
    init(connection: PGConnection, machine: Machine) {
        self.connection = connection
        self.state = Mutex(.unclaimed(machine))
        self.wasCompleteAtCreation = false
    }

    /// An exchange that is already over (a statement without rows): no turn is held.
    init(completed connection: PGConnection, commandTag: String?) {
        self.connection = connection
        self.state = Mutex(.ended(commandTag: commandTag, failure: nil))
        self.wasCompleteAtCreation = true
    }

    deinit {
        let holdsTurn = state.withLock { state -> Bool in
            if case .ended = state { return false }
            return true
        }
        if holdsTurn { connection.abandonRead() }
    }

    /// The command tag, once the answer was read to its end.
    var commandTag: String? {
        state.withLock { state in
            if case .ended(let tag, _) = state { return tag }
            return nil
        }
    }

    /// What the first iterator gets: the machine to read with, or how the exchange ended.
    enum Claim {
        case read(Machine)
        case ended(failure: (any Error)?)
    }

    /// Hands the machine to the first iterator; a second concurrent one is refused.
    func claim() throws -> Claim {
        try state.withLock { state in
            switch state {
            case .unclaimed(let machine):
                state = .claimed
                return .read(machine)
            case .claimed:
                throw PGError(.invalidArgument, "this sequence is already being iterated; iterate it once, from one task")
            case .ended(_, let failure):
                return .ended(failure: failure)
            }
        }
    }

    /// For an iterator's first call: the machine to read with, or nil when the exchange is
    /// already over (its failure, if any, is thrown).
    func start() throws -> Machine? {
        switch try claim() {
        case .read(let machine): return machine
        case .ended(let failure):
            if let failure { throw failure }
            return nil
        }
    }

    /// The iterator reached ReadyForQuery: records the status and tag, gives back the turn,
    /// and throws the server's error if the exchange reported one.
    func finish(commandTag: String?, _ outcome: ExchangeEnd) throws {
        connection.ready(outcome.status)
        let failure = outcome.error.map { connection.serverError($0).thrownForm }
        end(commandTag: commandTag, failure: failure)
        if let failure { throw failure }
    }

    /// The iterator failed on the way: decides what the failure means for the connection,
    /// gives back the turn, and returns the error to throw.
    func fail(_ error: any Error) -> any Error {
        let thrown = connection.failExchange(error)
        end(commandTag: nil, failure: thrown)
        return thrown
    }

    /// The iterator read the answer to its end (or it failed): record it and give back the
    /// read turn, exactly once.
    func end(commandTag: String?, failure: (any Error)?) {
        let wasReading = state.withLock { state -> Bool in
            if case .ended = state { return false }
            state = .ended(commandTag: commandTag, failure: failure)
            return true
        }
        if wasReading { connection.endRead() }
    }
}

extension PGConnection {
    /// A row or COPY sequence was dropped before its end. The rest of its answer stays on the
    /// socket; the turn passes on, and the next reader reads that rest first.
    func abandonRead() {
        readQueue.advance(owingDrain: true)
    }

    /// With the read turn just taken: reads to their ReadyForQuery the answers of exchanges
    /// whose sequences were dropped before their end. Their server errors are theirs, not the
    /// caller's; a broken connection fails the caller.
    func settleAbandoned() async throws {
        while readQueue.takeOwedDrain() {
            do {
                _ = try await Self.readToEnd(self)
            } catch let error as PGError where error.code == .server || error.sqlState != nil {
                continue
            } catch is CancellationError {
                // The server's answer to the CancelRequest of the dropped exchange's task.
                continue
            } catch {
                throw failExchange(error)
            }
        }
    }

    /// Reads and discards the rest of an exchange; returns the command tag.
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
