import Synchronization
extension PGPool {
    /// Starts the timer task that wakes at each deadline the state machine asks for (acquire
    /// timeouts, stuck health checks, the close deadline). It runs only while something has a
    /// deadline; a newer timer (for an earlier deadline) replaces it.
    func startTimer(_ start: Machine.TimerStart) {
        let task = Task { [self] in
            var deadline = start.deadline
            while true {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if Task.isCancelled { return }
                let (next, effects) = update { machine, effects in
                    machine.timerFired(generation: start.generation, now: .now, effects: &effects)
                }
                if !effects.isEmpty { await perform(effects) }
                guard let next else { return }
                deadline = next
            }
        }
        let replaced: Task<Void, Never>? = guts.withLock { guts in
            // Only the current generation's task is kept; an older start that lost a race
            // with a newer one is cancelled instead.
            guard guts.machine.timerGeneration == start.generation else { return task }
            defer { guts.timer = task }
            return guts.timer
        }
        replaced?.cancel()
    }
}
