import Synchronization

/// The parts of a connection that do I/O: its socket, the incoming message decoder and the
/// outgoing message encoder.
///
/// Not thread-safe on purpose: a ``PGConnection`` touches the encoder only while holding its
/// send lock and the decoder only while holding the read turn, so one task writes and one task
/// reads at a time, each on its own thread.
final class ConnectionIO {
    let socket: Socket
    var decoder: BackendMessageDecoder
    var encoder = FrontendMessageEncoder()
    let readSpin: Duration
    /// Whether the first read after a send yields to other tasks first.
    let yieldAfterSend: Bool
    /// Whether the current exchange may be cancelled by cancelling its task.
    var cancellable = true
    /// Sends a CancelRequest for the running statement (set by the connection).
    var onCancel: @Sendable () -> Void = {}

    init(socket: Socket, limits: BackendMessageDecoder.Limits, readSpin: Duration, yieldAfterSend: Bool) {
        self.socket = socket
        self.decoder = BackendMessageDecoder(limits: limits)
        self.readSpin = readSpin
        self.yieldAfterSend = yieldAfterSend
    }

    /// True right after a flush, until the next read: the answer cannot be there yet, so the
    /// read starts with the short wait instead of a recv that would only say EAGAIN (one system
    /// call less per round trip, as libpq does).
    private let justSent = Atomic(false)

    /// Sends everything encoded so far and empties the encoder.
    func flush() async throws {
        defer { encoder.reset() }
        try await socket.write(encoder.buffer)
        justSent.store(true, ordering: .relaxed)
    }

    /// Sends everything encoded so far while buffering whatever the server answers meanwhile
    /// (see ``Socket/write(_:readingInto:)``). Only with the send lock and the read turn held.
    func flushWhileReading() async throws {
        defer { encoder.reset() }
        try await socket.write(encoder.buffer, readingInto: &decoder)
        justSent.store(true, ordering: .relaxed)
    }

    /// Reads more bytes from the socket into the decoder, waiting as needed; returns the count.
    func readMore() async throws -> Int {
        let waitFirst = justSent.exchange(false, ordering: .relaxed)
        if waitFirst && yieldAfterSend { await Task.yield() }
        return try await socket.read(
            into: &decoder, spin: readSpin, waitFirst: waitFirst, onCancel: cancellable ? onCancel : nil)
    }
}
