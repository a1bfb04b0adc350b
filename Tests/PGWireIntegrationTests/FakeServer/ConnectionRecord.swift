import Synchronization

/// One frontend message as the fake server read it: its type byte and body (length stripped).
struct FrontendMessage: Sendable, Equatable, CustomStringConvertible {
    var type: Character
    var body: [UInt8]

    /// The body up to its first NUL, as text: the SQL of a Query, the password of a
    /// PasswordMessage, the mechanism of a SASLInitialResponse.
    var leadingString: String { String(decoding: body.prefix { $0 != 0 }, as: UTF8.self) }

    var description: String { "\(type)(\(body.count) bytes)" }
}

/// Everything the client sent on one accepted connection, and what went wrong in the script.
///
/// A test reads it after the client call returned, to assert what the client did (it sent a
/// Sync, it never sent the password, ...). The connection thread appends; tests read snapshots.
final class ConnectionRecord: Sendable {
    private struct State {
        var raw: [UInt8] = []
        var messages: [FrontendMessage] = []
        var startupParameters: [String: String] = [:]
        var problems: [String] = []
        var scramProofValid: Bool?
        var finished = false
    }

    let index: Int
    private let state = Mutex(State())

    init(index: Int) { self.index = index }

    /// Every byte received, startup packet included, in order.
    var raw: [UInt8] { state.withLock { $0.raw } }
    /// The typed frontend messages read by the script (not those discarded by `.silent`).
    var messages: [FrontendMessage] { state.withLock { $0.messages } }
    var messageTypes: [Character] { messages.map(\.type) }
    /// The name/value pairs of the StartupMessage.
    var startupParameters: [String: String] { state.withLock { $0.startupParameters } }
    /// Script expectations the client did not meet (an unexpected message type, a bad SCRAM proof).
    var problems: [String] { state.withLock { $0.problems } }
    /// Whether the client's SCRAM proof verified against the password, if an exchange got that far.
    var scramProofValid: Bool? { state.withLock { $0.scramProofValid } }
    /// Whether the connection's script has ended and its socket is closed.
    var finished: Bool { state.withLock { $0.finished } }

    /// Whether `needle` occurs anywhere in what the client sent.
    func rawContains(_ needle: String) -> Bool { Self.contains(raw, Array(needle.utf8)) }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }

    func appendRaw(_ bytes: some Collection<UInt8>) { state.withLock { $0.raw.append(contentsOf: bytes) } }
    func append(_ message: FrontendMessage) { state.withLock { $0.messages.append(message) } }
    func setStartupParameters(_ parameters: [String: String]) { state.withLock { $0.startupParameters = parameters } }
    func problem(_ text: String) { state.withLock { $0.problems.append(text) } }
    func setSCRAMProofValid(_ valid: Bool) { state.withLock { $0.scramProofValid = valid } }
    func finish() { state.withLock { $0.finished = true } }
}

/// A CancelRequest the fake server received on a connection of its own.
struct ReceivedCancelRequest: Sendable, Equatable {
    var processID: Int32
    var secretKey: Int32
    var connectionIndex: Int
}
