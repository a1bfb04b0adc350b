import Synchronization
extension PGPool {
    /// Closes the pool, waiting at most `timeout` for borrowed connections (see ``close(deadline:)``).
    public func close(timeout: Duration = .seconds(10)) async {
        await close(deadline: ContinuousClock.now.advanced(byAtMost: timeout))
    }

    /// Closes the pool: from now on acquires fail with ``PGError/Code/closed``, and so do the
    /// tasks waiting for a connection; idle connections close at once. Borrowed connections are
    /// closed as they come back; those still borrowed at `deadline` are closed under their
    /// borrowers, whose statements then fail. The ``listener`` closes too: its sequences end
    /// with ``PGError/Code/closed``. Returns when every connection is closed, or at
    /// the deadline (a connect still hanging then closes its connection when it ends).
    ///
    /// Safe to call several times and from several tasks; a later call can only bring the
    /// deadline forward.
    public func close(deadline: ContinuousClock.Instant) async {
        let (_, effects) = update { machine, effects in
            machine.beginClose(deadline: deadline, now: .now, effects: &effects)
        }
        if !effects.isEmpty { await perform(effects) }
        await listener.close()
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = guts.withLock { guts in
                if guts.closeCompleted { return true }
                guts.closeWaiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }
}
