/// The listening flow as a value: which channels the session must LISTEN to or UNLISTEN from
/// so that it listens exactly where listeners wait, and what may arrive while no exchange runs.
///
/// ``NotificationHub`` keeps one under its lock; LISTEN and UNLISTEN go out one at a time
/// (``PGConnection/reconcileChannel(_:)``), each confirmed here once the server answered.
struct ListeningMachine: Equatable {
    /// How many listeners wait on each channel.
    private(set) var listeners: [String: Int] = [:]
    /// The channels the server confirmed the session listens on.
    private(set) var serverChannels: Set<String> = []

    mutating func listenerAdded(_ channel: String) {
        listeners[channel, default: 0] += 1
    }

    mutating func listenerRemoved(_ channel: String) {
        guard let count = listeners[channel] else { return }
        listeners[channel] = count > 1 ? count - 1 : nil
    }

    /// The command `channel` needs now: true for LISTEN, false for UNLISTEN, nil for none.
    func pendingCommand(for channel: String) -> Bool? {
        let wanted = listeners[channel] != nil
        return wanted == serverChannels.contains(channel) ? nil : wanted
    }

    /// The server answered LISTEN (`listening`) or UNLISTEN for `channel`.
    mutating func confirm(_ channel: String, listening: Bool) {
        if listening { serverChannels.insert(channel) } else { serverChannels.remove(channel) }
    }

    /// The session ended: no channel is listened to any more.
    mutating func reset() {
        self = ListeningMachine()
    }

    /// A message read while no exchange runs. Notifications, notices and parameter changes are
    /// taken by the driver before this; anything else is an answer to nothing.
    static func idle(_ message: BackendMessage) -> PGError {
        PGError(.protocolViolation, "the server sent \(message.kindName) while no query was running")
    }
}
