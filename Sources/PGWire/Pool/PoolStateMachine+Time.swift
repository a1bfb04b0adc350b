/// The parts of the pool's bookkeeping driven by time: the deadline timer, housekeeping and
/// closing.
extension PoolStateMachine {
    // MARK: Timer
    //
    // One timer serves every deadline (waiters, health checks, the close deadline): it sleeps
    // until the earliest one, then asks the machine what expired and when to wake next. A task
    // per acquire would cost more than the acquire itself.

    /// Makes sure the timer fires no later than `deadline`: starts a timer if none runs or the
    /// running one would fire later (rare: deadlines mostly arrive in increasing order).
    mutating func schedule(_ deadline: Instant, effects: inout Effects) {
        if let timerTarget, timerTarget <= deadline { return }
        timerGeneration &+= 1
        timerTarget = deadline
        effects.add(.timer(TimerStart(deadline: deadline, generation: timerGeneration)))
    }

    /// The timer of `generation` woke at `now`: fails waiters out of time, interrupts health
    /// checks out of time, and ends closing at its deadline. Returns when to wake next, or nil
    /// to stop (nothing has a deadline, or a newer timer took over).
    mutating func timerFired(generation: UInt64, now: Instant, effects: inout Effects) -> Instant? {
        guard generation == timerGeneration else { return nil }
        for entry in waiters.removeExpired(now: now) {
            effects.add(.fail(entry.waiter, .timeout(inUse: lent.count, opening: opening)))
        }
        if checksRunning > 0 {
            for (key, lease) in lent {
                guard let deadline = lease.checkDeadline, deadline <= now else { continue }
                lent[key]?.checkDeadline = nil
                checksRunning -= 1
                // Closing the connection makes the stuck check fail; its borrower then drops it.
                effects.add(.interrupt(lease.connection))
            }
        }
        if case .closing(let deadline) = phase, deadline <= now {
            forceClose(effects: &effects)
        }
        timerTarget = nextDeadline()
        return timerTarget
    }

    /// The earliest deadline anything is waiting for.
    func nextDeadline() -> Instant? {
        var next = waiters.first?.deadline
        if checksRunning > 0 {
            for lease in lent.values {
                if let deadline = lease.checkDeadline, next.map({ deadline < $0 }) ?? true { next = deadline }
            }
        }
        if case .closing(let deadline) = phase, next.map({ deadline < $0 }) ?? true { next = deadline }
        return next
    }

    // MARK: Housekeeping

    /// Periodic upkeep (``PGPool/run()``): closes idle connections past the idle timeout
    /// (oldest first, keeping the minimum) or past their lifetime, then opens connections up to
    /// the minimum.
    mutating func housekeeping(now: Instant, effects: inout Effects) {
        guard phase == .running else { return }
        var kept: [IdleConnection] = []
        kept.reserveCapacity(idle.count)
        var count = total
        for entry in idle {
            let idleTooLong = settings.idleTimeout.map { now - entry.since >= $0 } ?? false
            if isExpired(created: entry.created, now: now) || (idleTooLong && count > settings.minimum) {
                effects.add(.close(entry.connection))
                count -= 1
            } else {
                kept.append(entry)
            }
        }
        idle = kept
        while total < settings.minimum { startWarmUpConnect(effects: &effects) }
        startConnectsIfNeeded(effects: &effects)
    }

    // MARK: Closing

    /// Stops lending: idle connections are closed and waiters fail at once; lent connections
    /// are awaited until `deadline`, then closed under their borrowers. A second call can only
    /// bring the deadline forward.
    mutating func beginClose(deadline: Instant, now: Instant, effects: inout Effects) {
        switch phase {
        case .closed:
            return
        case .closing(let current):
            guard deadline < current else { return }
            phase = .closing(deadline: deadline)
        case .running:
            phase = .closing(deadline: deadline)
            for entry in idle { effects.add(.close(entry.connection)) }
            idle = []
            for entry in waiters.removeAll() { effects.add(.fail(entry.waiter, .closed)) }
            finishClosingIfDrained(effects: &effects)
        }
        guard case .closing = phase else { return }
        if deadline <= now {
            forceClose(effects: &effects)
        } else {
            schedule(deadline, effects: &effects)
        }
    }

    /// The close deadline passed: lent connections are closed under their borrowers (who then
    /// see errors and give them back), and the pool counts as closed.
    private mutating func forceClose(effects: inout Effects) {
        for lease in lent.values { effects.add(.interrupt(lease.connection)) }
        phase = .closed
        effects.add(.closeFinished)
    }
}
