import Synchronization

/// A connection's listeners, by channel: who gets each NotificationResponse, and which
/// channels the session should be listening on.
///
/// Delivery runs inside whatever exchange is reading (a query, a COPY, the idle watcher), so it
/// only takes a lock and appends to buffers. LISTEN and UNLISTEN are sent by ``reconcile``,
/// which compares the listeners with the channels the session listens on; running it after
/// every change, one at a time, means a channel gets UNLISTEN only once its last listener is
/// gone, and a listener that arrives meanwhile is never left without a LISTEN.
final class NotificationHub: Sendable {
    private struct State {
        var listeners: [String: [UInt64: NotificationBuffer]] = [:]
        var nextID: UInt64 = 0
        /// Which channels need LISTEN or UNLISTEN.
        var channels = ListeningMachine()
        /// Set when the connection ended: every later listener fails at once with it.
        var failure: PGError?
    }

    private let state = Mutex(State())
    /// True while any listener exists: read by every exchange's end, hence an atomic.
    let isActive = Atomic(false)
    /// Runs one LISTEN/UNLISTEN at a time.
    let reconcileLock = ExchangeLock()

    /// Registers a buffer for `channel`; returns its id. Throws when the connection ended.
    func add(_ buffer: NotificationBuffer, channel: String) throws -> UInt64 {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
            state.nextID += 1
            state.listeners[channel, default: [:]][state.nextID] = buffer
            state.channels.listenerAdded(channel)
            isActive.store(true, ordering: .releasing)
            return state.nextID
        }
    }

    /// Forgets a listener (its buffer is ended by the caller).
    func remove(_ id: UInt64, channel: String) {
        state.withLock { state in
            guard state.listeners[channel]?.removeValue(forKey: id) != nil else { return }
            state.channels.listenerRemoved(channel)
            if state.listeners[channel]?.isEmpty == true { state.listeners[channel] = nil }
            isActive.store(!state.listeners.isEmpty, ordering: .releasing)
        }
    }

    /// Hands a notification to every listener of its channel. Listeners whose buffer ended
    /// (overflow, cancellation) are dropped; returns true when that left the channel without
    /// listeners, for the caller to UNLISTEN.
    func deliver(_ notification: PGNotification) -> Bool {
        let buffers = state.withLock { state in state.listeners[notification.channel].map { Array($0) } ?? [] }
        var ended: [UInt64] = []
        for (id, buffer) in buffers where !buffer.push(notification) {
            ended.append(id)
        }
        guard !ended.isEmpty else { return false }
        for id in ended { remove(id, channel: notification.channel) }
        return state.withLock { $0.listeners[notification.channel] == nil }
    }

    /// Ends every listener with `error` (the connection broke or was closed) and refuses new ones.
    func failAll(_ error: PGError) {
        let buffers = state.withLock { state -> [NotificationBuffer] in
            if state.failure == nil { state.failure = error }
            defer {
                state.listeners = [:]
                state.channels.reset()
                isActive.store(false, ordering: .releasing)
            }
            return state.listeners.values.flatMap(\.values)
        }
        for buffer in buffers { buffer.finish(error) }
    }

    /// What the session must do for `channel` now: LISTEN, UNLISTEN or nothing.
    func pendingCommand(for channel: String) -> Bool? {
        state.withLock { $0.channels.pendingCommand(for: channel) }
    }

    /// Records that the server now listens (or no longer listens) on `channel`.
    func confirm(_ channel: String, listening: Bool) {
        state.withLock { $0.channels.confirm(channel, listening: listening) }
    }

    /// True when some listener is registered.
    var hasListeners: Bool { isActive.load(ordering: .acquiring) }
}
