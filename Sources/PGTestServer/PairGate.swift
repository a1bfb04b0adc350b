/// Lets one primary-and-standby pair run at a time in this process.
///
/// Each pair is two clusters, started together with `pg_basebackup` in between. The test
/// binary runs every target's suites at once, and four suites starting pairs alongside the
/// shared servers starved the 2-core machine (tests with 15 s bounds took 17 s). A pair waits
/// here instead; the wait is in the task, not on a thread.
actor PairGate {
    static let shared = PairGate()

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the gate to the next waiter, or opens it.
    func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
