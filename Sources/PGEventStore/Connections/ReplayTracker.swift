import Synchronization

/// The WAL positions behind read-your-writes: the latest commit of this store's appends, and
/// how far each read server (a standby) was last seen to have replayed, so that a read needs
/// no query when its server is known to be past the commit already.
final class ReplayTracker: Sendable {
    private struct State {
        var latestCommit: UInt64 = 0
        var replayed: [String: UInt64] = [:]
    }

    private let state = Mutex(State())

    /// The highest commit position of an append made through this store; 0 before the first.
    var latestCommit: UInt64 { state.withLock { $0.latestCommit } }

    func committed(at lsn: UInt64) {
        state.withLock { $0.latestCommit = max($0.latestCommit, lsn) }
    }

    /// Whether `server` was already seen to have replayed up to `lsn`.
    func hasReplayed(_ lsn: UInt64, on server: String) -> Bool {
        state.withLock { ($0.replayed[server] ?? 0) >= lsn }
    }

    func saw(_ lsn: UInt64, replayedOn server: String) {
        state.withLock { $0.replayed[server] = max($0.replayed[server] ?? 0, lsn) }
    }
}
