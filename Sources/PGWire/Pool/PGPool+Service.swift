import Logging
public import ServiceLifecycle

extension PGPool: Service {
    /// Keeps the pool in shape until the task is cancelled or the service group shuts down
    /// gracefully, then closes the pool.
    ///
    /// While it runs, it opens connections up to ``Configuration/minimumConnections`` ahead of
    /// demand (again after failures, once per housekeeping round) and closes connections idle
    /// past ``Configuration/idleTimeout`` or open past ``Configuration/maximumLifetime`` even when
    /// nobody uses the pool. On graceful shutdown it waits up to
    /// ``Configuration/shutdownTimeout`` for borrowed connections; on cancellation it closes them
    /// at once. It also returns (within a housekeeping round, at most a second) when the pool
    /// is closed by ``close(deadline:)``.
    ///
    /// A `ServiceGroup` shuts services down in reverse order: list the pool before the services
    /// that use it, so that it closes after them.
    ///
    /// Running it is optional: without it the pool opens connections on demand and checks
    /// lifetimes and idle times as connections are taken and given back.
    public func run() async throws {
        logger.debug("pool housekeeping started", metadata: ["interval": "\(configuration.housekeepingInterval)"])
        await cancelWhenGracefulShutdown { [self] in
            await housekeep()
        }
        let deadline: ContinuousClock.Instant = Task.isCancelled ? .now : ContinuousClock.now.advanced(byAtMost: configuration.shutdownTimeout)
        await close(deadline: deadline)
    }

    /// One housekeeping round per interval until cancelled or closed.
    private func housekeep() async {
        let interval = configuration.housekeepingInterval
        while !isClosed {
            let (_, effects) = update { machine, effects in machine.housekeeping(now: .now, effects: &effects) }
            if !effects.isEmpty { await perform(effects) }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
