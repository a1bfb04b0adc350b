/// Why a pool could not hand out a connection. ``PGPool`` turns it into a ``PGError`` that
/// names the server.
enum PoolFailure: Sendable, Equatable {
    /// The acquire timeout passed while `inUse` connections were lent and `opening` were being
    /// opened.
    case timeout(inUse: Int, opening: Int)
    /// The pool is closing or closed.
    case closed
    /// The waiting task was cancelled.
    case cancelled
    /// Opening a connection failed (the server is unreachable, or rejected the login).
    case connect(PGError)
}

/// Where a pool is in its life. Outside the generic state machine: comparing a generic nested
/// enum goes through its type metadata, on every acquire.
enum PoolPhase: Equatable, Sendable {
    case running
    /// No more acquires; waiting for lent connections until `deadline`.
    case closing(deadline: ContinuousClock.Instant)
    case closed
}

/// The pool's bookkeeping as a value: which connections are idle, lent or being opened, who
/// waits for one, and what the pool must do next.
///
/// It does no I/O and reads no clock: every event comes in as a mutating call with the current
/// time, and what must happen as a result (resume a waiter, close a connection, open one, wake
/// the timer) goes out in ``Effects``, which ``PGPool`` performs outside its lock. Unit tests
/// drive it with plain objects and integers.
///
/// Invariant: a waiter exists only while no idle connection does, because a connection that
/// comes back (or is opened) goes straight to the oldest waiter.
struct PoolStateMachine<Connection: AnyObject, Waiter> {
    typealias Instant = ContinuousClock.Instant

    /// The limits the machine enforces (see ``PGPool/Configuration`` for their meaning).
    struct Settings: Sendable {
        var minimum: Int
        var maximum: Int
        var healthCheckAfterIdle: Duration?
        var maximumLifetime: Duration?
        var idleTimeout: Duration?
    }

    /// Starts the timer task: sleep until `deadline`, then call ``timerFired(generation:now:effects:)``.
    struct TimerStart: Equatable, Sendable {
        let deadline: Instant
        /// Identifies this timer; a timer whose generation is no longer current does nothing.
        let generation: UInt64
    }

    /// What the pool must do after an event. ``PGPool`` performs them in this order: resume
    /// and fail waiters, start connects and the timer, close connections, then report the end
    /// of closing.
    ///
    /// One array of effects rather than an array per kind: most events (an acquire or release
    /// with nothing else to do) have none, and an empty array costs nothing to make, copy or test.
    struct Effects {
        enum Effect {
            /// Resume a waiter with a connection (now counted as lent to it).
            case resume(Waiter, Connection)
            /// Fail a waiter.
            case fail(Waiter, PoolFailure)
            /// Open a connection, bounded by a deadline (that of the waiter it was started for;
            /// nil for warm-up connects, bounded only by the connect timeout).
            case connect(Instant?)
            /// Start a timer, replacing any earlier one.
            case timer(TimerStart)
            /// Close a connection the pool no longer counts.
            case close(Connection)
            /// Close a lent connection now (its health check or the close deadline ran out); it
            /// still counts as lent until its borrower gives it back.
            case interrupt(Connection)
            /// The pool has finished closing: every connection came back, or the deadline passed.
            case closeFinished
        }

        private(set) var list: [Effect] = []

        var isEmpty: Bool { list.isEmpty }

        mutating func add(_ effect: Effect) { list.append(effect) }

        var resume: [(waiter: Waiter, connection: Connection)] {
            list.compactMap { if case .resume(let waiter, let connection) = $0 { (waiter, connection) } else { nil } }
        }
        var fail: [(waiter: Waiter, failure: PoolFailure)] {
            list.compactMap { if case .fail(let waiter, let failure) = $0 { (waiter, failure) } else { nil } }
        }
        var connect: [Instant?] {
            list.compactMap { if case .connect(let deadline) = $0 { .some(deadline) } else { nil } }
        }
        /// The last timer asked for: a later one in the same event replaced the earlier.
        var timer: TimerStart? {
            list.lazy.compactMap { if case .timer(let start) = $0 { start } else { nil } }.last
        }
        var close: [Connection] {
            list.compactMap { if case .close(let connection) = $0 { connection } else { nil } }
        }
        var interrupt: [Connection] {
            list.compactMap { if case .interrupt(let connection) = $0 { connection } else { nil } }
        }
        var closeFinished: Bool {
            list.contains { if case .closeFinished = $0 { true } else { false } }
        }
    }

    typealias Phase = PoolPhase

    /// What ``acquire(now:deadline:effects:)`` decided.
    enum Acquire {
        /// Use this connection; check it first when `needsCheck` (it sat idle a while).
        case use(Connection, needsCheck: Bool)
        /// No idle connection: wait, under this id, with ``enqueue(_:id:deadline:now:effects:)``.
        case wait(id: UInt64)
        case fail(PoolFailure)
    }

    /// What ``enqueue(_:id:deadline:now:effects:)`` decided.
    enum Enqueue {
        /// A connection came back meanwhile: use it now.
        case use(Connection, needsCheck: Bool)
        /// Waiting; the waiter will be resumed or failed through ``Effects``.
        case queued
        case fail(PoolFailure)
    }

    struct IdleConnection {
        let connection: Connection
        let created: Instant
        /// When it was last given back.
        let since: Instant
    }

    struct LentConnection {
        let connection: Connection
        let created: Instant
        /// Set while its borrower runs the health check; the check must end by then.
        var checkDeadline: Instant?
    }

    let settings: Settings
    var phase = Phase.running
    /// Most recently returned last: acquires take from the end, so busy periods reuse the same
    /// few warm connections and the ones at the front age out under ``Settings/idleTimeout``.
    var idle: [IdleConnection] = []
    var lent: [ObjectIdentifier: LentConnection] = [:]
    /// Connects started and not yet finished.
    var opening = 0
    var waiters = WaiterQueue<Waiter>()
    private var lastWaiterID: UInt64 = 0
    /// How many lent connections have a ``LentConnection/checkDeadline``.
    var checksRunning = 0
    /// When the running timer will fire, if one runs.
    var timerTarget: Instant?
    var timerGeneration: UInt64 = 0

    init(settings: Settings) {
        self.settings = settings
    }

    var idleCount: Int { idle.count }
    var lentCount: Int { lent.count }
    var waiterCount: Int { waiters.count }
    /// Every connection the pool answers for: the bound ``Settings/maximum`` applies to this.
    var total: Int { idle.count + lent.count + opening }

    // MARK: Acquiring

    /// An acquire starts: takes the most recently used idle connection, or asks the caller to
    /// wait. Idle connections past their lifetime are dropped on the way.
    mutating func acquire(now: Instant, deadline: Instant, effects: inout Effects) -> Acquire {
        guard phase == .running else { return .fail(.closed) }
        while let entry = idle.popLast() {
            if isExpired(created: entry.created, now: now) {
                effects.add(.close(entry.connection))
                continue
            }
            let needsCheck = settings.healthCheckAfterIdle.map { now - entry.since >= $0 } ?? false
            lend(entry.connection, created: entry.created, checkUntil: needsCheck ? deadline : nil, effects: &effects)
            pruneOldestIdle(now: now, effects: &effects)
            return .use(entry.connection, needsCheck: needsCheck)
        }
        lastWaiterID &+= 1
        return .wait(id: lastWaiterID)
    }

    /// Queues a waiter after ``acquire(now:deadline:effects:)`` found no idle connection, and
    /// starts a connect for it if the pool is below its maximum.
    mutating func enqueue(
        _ waiter: Waiter, id: UInt64, deadline: Instant, now: Instant, effects: inout Effects
    ) -> Enqueue {
        guard phase == .running else { return .fail(.closed) }
        if !idle.isEmpty, case .use(let connection, let needsCheck) = acquire(now: now, deadline: deadline, effects: &effects) {
            return .use(connection, needsCheck: needsCheck)
        }
        // A waiter coming back after a failed health check may be out of time already.
        if deadline <= now { return .fail(.timeout(inUse: lent.count, opening: opening)) }
        waiters.insert(.init(id: id, waiter: waiter, deadline: deadline))
        schedule(deadline, effects: &effects)
        startConnectsIfNeeded(effects: &effects)
        return .queued
    }

    /// The waiting task was cancelled: takes its waiter out of the queue, if still there.
    mutating func cancelWaiter(id: UInt64) -> Waiter? {
        waiters.remove(id: id)?.waiter
    }

    /// A health check started by ``acquire(now:deadline:effects:)`` ended. Returns whether the
    /// borrower may use the connection; if not, it is closed and counted out.
    mutating func checkFinished(_ connection: Connection, healthy: Bool, effects: inout Effects) -> Bool {
        let key = ObjectIdentifier(connection)
        guard var lease = lent[key] else {
            effects.add(.close(connection))
            return false
        }
        if lease.checkDeadline != nil {
            lease.checkDeadline = nil
            checksRunning -= 1
            lent[key] = lease
        }
        if healthy && phase == .running { return true }
        drop(key, effects: &effects)
        return false
    }

    // MARK: Returning and opening

    /// A borrower gives a connection back. `reusable` is false when it is closed, broken, or
    /// could not be brought back out of a transaction.
    mutating func release(_ connection: Connection, reusable: Bool, now: Instant, effects: inout Effects) {
        // One hash lookup: taken out here, put back only if it goes straight to a waiter.
        guard let lease = lent.removeValue(forKey: ObjectIdentifier(connection)) else {
            effects.add(.close(connection))
            return
        }
        if lease.checkDeadline != nil { checksRunning -= 1 }
        guard reusable, phase == .running, !isExpired(created: lease.created, now: now) else {
            discard(connection, effects: &effects)
            return
        }
        give(connection, created: lease.created, now: now, effects: &effects)
    }

    /// A connect finished: the new connection goes to the oldest waiter, or becomes idle.
    mutating func connected(_ connection: Connection, now: Instant, effects: inout Effects) {
        opening -= 1
        guard phase == .running else {
            effects.add(.close(connection))
            finishClosingIfDrained(effects: &effects)
            return
        }
        give(connection, created: now, now: now, effects: &effects)
    }

    /// A connect failed: the oldest waiter fails with its error at once (it would most likely
    /// get the same error from another attempt). Each failure consumes one waiter, so a pool
    /// whose server is down never retries without someone asking.
    mutating func connectFailed(_ error: PGError, effects: inout Effects) {
        opening -= 1
        if let next = waiters.popFirst() {
            effects.add(.fail(next.waiter, .connect(error)))
        }
        startConnectsIfNeeded(effects: &effects)
        finishClosingIfDrained(effects: &effects)
    }

    // MARK: Helpers

    func isExpired(created: Instant, now: Instant) -> Bool {
        settings.maximumLifetime.map { now - created >= $0 } ?? false
    }

    /// Counts a connection as lent; with `checkUntil`, its health check must end by then.
    private mutating func lend(_ connection: Connection, created: Instant, checkUntil: Instant?, effects: inout Effects) {
        lent[ObjectIdentifier(connection)] = LentConnection(connection: connection, created: created, checkDeadline: checkUntil)
        if let checkUntil {
            checksRunning += 1
            schedule(checkUntil, effects: &effects)
        }
    }

    /// Hands a healthy, free connection to the oldest waiter, or makes it idle.
    private mutating func give(_ connection: Connection, created: Instant, now: Instant, effects: inout Effects) {
        if let next = waiters.popFirst() {
            lend(connection, created: created, checkUntil: nil, effects: &effects)
            effects.add(.resume(next.waiter, connection))
        } else {
            idle.append(IdleConnection(connection: connection, created: created, since: now))
            pruneOldestIdle(now: now, effects: &effects)
        }
    }

    /// Stops counting a lent connection and closes it; a waiter may now get a new one.
    private mutating func drop(_ key: ObjectIdentifier, effects: inout Effects) {
        guard let lease = lent.removeValue(forKey: key) else { return }
        discard(lease.connection, effects: &effects)
    }

    /// Closes a connection no longer counted (taken out of `lent` already).
    private mutating func discard(_ connection: Connection, effects: inout Effects) {
        effects.add(.close(connection))
        startConnectsIfNeeded(effects: &effects)
        finishClosingIfDrained(effects: &effects)
    }

    /// Closes the longest-idle connection if it outlived the idle timeout (keeping the minimum)
    /// or its lifetime. One per call: this runs on every acquire and release, so a pool used
    /// without ``PGPool/run()`` still shrinks, at the cost of one comparison.
    private mutating func pruneOldestIdle(now: Instant, effects: inout Effects) {
        guard let oldest = idle.first else { return }
        let idleTooLong = settings.idleTimeout.map { now - oldest.since >= $0 } ?? false
        if (idleTooLong && total > settings.minimum) || isExpired(created: oldest.created, now: now) {
            idle.removeFirst()
            effects.add(.close(oldest.connection))
        }
    }

    /// Starts one connect per waiter not yet covered by a connect in flight, within the maximum.
    mutating func startConnectsIfNeeded(effects: inout Effects) {
        guard phase == .running else { return }
        while waiters.count > opening, total < settings.maximum {
            // Connects serve waiters in order: this one is for the waiter at index `opening`.
            effects.add(.connect(waiters[opening].deadline))
            opening += 1
        }
    }

    /// Starts a warm-up connect (no waiter, no deadline).
    mutating func startWarmUpConnect(effects: inout Effects) {
        effects.add(.connect(nil))
        opening += 1
    }

    /// While closing: once nothing is lent or being opened, the pool is closed.
    mutating func finishClosingIfDrained(effects: inout Effects) {
        guard case .closing = phase, lent.isEmpty, opening == 0 else { return }
        phase = .closed
        effects.add(.closeFinished)
    }

}

extension PoolStateMachine.Effects: Sendable where Connection: Sendable, Waiter: Sendable {}
extension PoolStateMachine.Effects.Effect: Sendable where Connection: Sendable, Waiter: Sendable {}
extension PoolStateMachine.Acquire: Sendable where Connection: Sendable {}
extension PoolStateMachine.Enqueue: Sendable where Connection: Sendable {}
extension PoolStateMachine: Sendable where Connection: Sendable, Waiter: Sendable {}
extension PoolStateMachine.IdleConnection: Sendable where Connection: Sendable {}
extension PoolStateMachine.LentConnection: Sendable where Connection: Sendable {}
