/// What bounds the waits of one protocol exchange, and what to do when the bound is reached.
///
/// Pure: it holds no socket and reads no clock (the caller passes `now`), so every path is
/// unit-tested directly. The socket driver asks it for the deadline and for whether a wait
/// may be cut short by task cancellation, and reports the two events that end a wait early.
///
/// A query's bound works as libpq users build it by hand and as pgx does with a context: when
/// it passes, a CancelRequest goes out and the server gets a grace period to answer it (the
/// query then fails with SQLSTATE 57014 and the connection stays usable); a server that does not
/// answer within the grace loses the connection. Task cancellation takes the same two steps at
/// once. Startup has no cancel: its bound fails the attempt outright.
struct WaitBudget: Sendable, Equatable {
    /// What the bound is for; it decides the error.
    enum Purpose: Sendable, Equatable {
        /// No bound: waits end only when the server answers or the task is cancelled.
        case unbounded
        /// `connect_timeout`: from the TCP connect to the first ReadyForQuery.
        case startup(Duration, server: String)
        /// A query timeout, counted from the start of the exchange.
        case query(Duration)
        /// A bound on a statement that must not be cancelled (a pool's ROLLBACK on release):
        /// when it passes the connection is closed, with no CancelRequest that could outlive
        /// it and hit the next statement.
        case closeAfter(Duration)
    }

    /// Why the exchange is being wound down, once it is.
    enum Interruption: Sendable, Equatable {
        case timedOut
        case cancelled
    }

    /// What the driver must do about an event.
    enum Decision: Sendable, Equatable {
        /// Ask the server to cancel (a CancelRequest on a new socket), then keep waiting for
        /// its answer until the new ``deadline``.
        case sendCancelRequest
        /// Give up: the connection cannot be brought back in step and must close.
        case fail(PGError)
    }

    let purpose: Purpose
    /// How long the server has to answer a CancelRequest before the connection is closed.
    let grace: Duration
    /// When the current wait must end; nil when unbounded.
    private(set) var deadline: ContinuousClock.Instant?
    /// Set once a timeout or a task cancellation has asked the server to cancel.
    private(set) var interruption: Interruption?

    /// A budget that never expires and never cancels (between exchanges, and for exchanges
    /// that must run to their end, such as LISTEN bookkeeping).
    static let unbounded = WaitBudget(unboundedWithGrace: .seconds(5))

    /// No deadline, but `grace` for the server to answer the CancelRequest of a cancelled task.
    /// Reads no clock: every exchange without a timeout starts with one.
    init(unboundedWithGrace grace: Duration) {
        self.purpose = .unbounded
        self.grace = grace
        self.deadline = nil
    }

    init(purpose: Purpose, grace: Duration, now: ContinuousClock.Instant) {
        self.purpose = purpose
        self.grace = grace
        switch purpose {
        case .unbounded: deadline = nil
        case .startup(let limit, _), .query(let limit), .closeAfter(let limit): deadline = now.advanced(by: limit)
        }
    }

    /// Whether task cancellation may end the current wait. After the first interruption the
    /// task stays cancelled, so later waits only end with the server's answer or the grace.
    var acceptsCancellation: Bool { interruption == nil }

    /// The current wait reached ``deadline``.
    mutating func deadlinePassed(now: ContinuousClock.Instant) -> Decision {
        switch (purpose, interruption) {
        case (.startup(let limit, let server), _):
            return .fail(PGError(
                .timeout, "the server at \(server) did not complete startup (authentication and the first ReadyForQuery) within \(limit)"))
        case (.closeAfter(let limit), _):
            return .fail(PGError(.timeout, "the server did not answer within \(limit); the connection was closed"))
        case (.query, nil):
            interruption = .timedOut
            deadline = now.advanced(by: grace)
            return .sendCancelRequest
        case (.query(let limit), .timedOut):
            return .fail(PGError(
                .timeout,
                "the query did not finish within \(limit), and the server did not answer the cancel request within \(grace); the connection was closed"))
        case (_, .cancelled):
            return .fail(PGError(
                .cancelled,
                "the task was cancelled, and the server did not answer the cancel request within \(grace); the connection was closed"))
        case (.unbounded, _):
            return .fail(PGError(.timeout, "a wait without a deadline expired"))
        }
    }

    /// The task was cancelled during a wait that ``acceptsCancellation``.
    mutating func taskCancelled(now: ContinuousClock.Instant) -> Decision {
        if case .startup(_, let server) = purpose {
            return .fail(PGError(.cancelled, "connecting to \(server) was cancelled"))
        }
        interruption = .cancelled
        let graceEnd = now.advanced(by: grace)
        deadline = deadline.map { min($0, graceEnd) } ?? graceEnd
        return .sendCancelRequest
    }

    /// The error to report for a server error that ended the exchange: the server's
    /// `query_canceled` answer to our own timeout's CancelRequest is a timeout, and its answer
    /// to the CancelRequest sent for a cancelled task is ``PGError/Code/cancelled`` (which the
    /// caller receives as `CancellationError`, see ``PGError/thrownForm``).
    func interpret(_ error: PGError) -> PGError {
        guard error.code == .server, error.sqlState == PGSQLState.queryCanceled else { return error }
        switch (interruption, purpose) {
        case (.timedOut, .query(let limit)):
            return PGError(.timeout, "the query did not finish within \(limit) and was cancelled", serverFields: error.serverFields)
        case (.cancelled, _):
            return PGError(.cancelled, "the task was cancelled and the server cancelled the statement", serverFields: error.serverFields)
        default:
            return error
        }
    }
}
