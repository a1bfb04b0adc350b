import Synchronization

/// The parts of a connection that do I/O: its socket, the incoming message decoder and the
/// outgoing message encoder, and the loops that wait on the socket within a ``WaitBudget``.
///
/// Not thread-safe on purpose: a ``PGConnection`` touches the encoder only while holding its
/// send lock and the decoder and ``budget`` only while holding the read turn, so one task
/// writes and one task reads at a time, each on its own thread.
final class ConnectionIO {
    let socket: Socket
    var decoder: BackendMessageDecoder
    var encoder = FrontendMessageEncoder()
    let readSpin: Duration
    /// Whether the first read after a send yields to other tasks first.
    let yieldAfterSend: Bool
    /// Whether the current exchange may be cancelled by cancelling its task.
    var cancellable = true
    /// The bound on the waits of the exchange holding the read turn.
    var budget = WaitBudget.unbounded
    /// Sends a CancelRequest for the running statement, without waiting (set by the connection).
    var onCancel: @Sendable () -> Void = {}

    init(socket: Socket, limits: PGMessageLimits, readSpin: Duration, yieldAfterSend: Bool) {
        self.socket = socket
        self.decoder = BackendMessageDecoder(limits: limits)
        self.readSpin = readSpin
        self.yieldAfterSend = yieldAfterSend
    }

    /// With ``yieldAfterSend``: how often a read that found no answer yields again and looks
    /// once more before it waits in the poller. Among many busy tasks (a pool) the other tasks'
    /// turns give the server time to answer, and a look costs a recv that says EAGAIN, while
    /// a wait in the poller costs an `epoll_ctl`, a wake of the poller thread and a resume from
    /// it. With 64 tasks over 8 pooled connections on 2 cores (`PGBench --only pool`), 2 gave
    /// 13.0 to 13.2 µs of client CPU a query against 14.1 to 14.5 with none, and 5 gave 13.6;
    /// alone on the cooperative pool, a task wastes only two EAGAIN recvs before it waits.
    static let yieldsBeforePoller = 2

    /// True right after a flush, until the next read: the answer cannot be there yet, so the
    /// read starts with the short wait instead of a recv that would only say EAGAIN (one system
    /// call less per round trip, as libpq does).
    private let justSent = Atomic(false)

    /// Sends everything encoded so far and empties the encoder. Only with the read turn held:
    /// a wait for buffer space counts against ``budget``.
    func flush() async throws {
        defer { encoder.reset() }
        try await write(readingInto: false)
        justSent.store(true, ordering: .relaxed)
    }

    /// Sends everything encoded so far while buffering whatever the server answers meanwhile.
    ///
    /// A long pipeline or COPY must not stop reading while it writes: the server blocks once its
    /// send buffer is full and then stops reading ours, and both sides would wait forever. Only
    /// with the send lock and the read turn held.
    func flushWhileReading() async throws {
        defer { encoder.reset() }
        try await write(readingInto: true)
        justSent.store(true, ordering: .relaxed)
    }

    /// Sends a pipelined request while another exchange may hold the read turn: it may not
    /// read, nor touch that exchange's budget. A full send buffer past `deadline` is a timeout;
    /// half a request is on the wire then, so the connection cannot go on.
    func flushPipelined(deadline: ContinuousClock.Instant?) async throws {
        defer { encoder.reset() }
        guard !socket.isShutDown else { throw PGError(.closed, "the connection is closed") }
        let bytes = encoder.buffer
        var offset = 0
        while offset < bytes.count {
            switch try socket.sendOnce(bytes, from: offset) {
            case .done(let count):
                offset += count
            case .wouldBlock:
                do {
                    try await socket.wait(for: .writable, deadline: deadline, cancellable: false)
                } catch is Poller.DeadlineExceeded {
                    throw PGError(.timeout, "the server did not accept the request before its deadline")
                }
            }
        }
        justSent.store(true, ordering: .relaxed)
    }

    private func write(readingInto reading: Bool) async throws {
        guard !socket.isShutDown else { throw PGError(.closed, "the connection is closed") }
        let bytes = encoder.buffer
        var offset = 0
        while offset < bytes.count {
            switch try socket.sendOnce(bytes, from: offset) {
            case .done(let count):
                offset += count
            case .wouldBlock:
                if reading {
                    if try socket.drainAvailable(into: &decoder) == 0 { try await wait(for: [.readable, .writable]) }
                } else {
                    try await wait(for: .writable)
                }
            }
        }
    }

    /// Reads more bytes from the socket into the decoder, waiting as needed; returns the count.
    /// Throws ``PGError/Code/serverClosedConnection`` at end of stream.
    func readMore() async throws -> Int {
        let waitFirst = justSent.exchange(false, ordering: .relaxed)
        if waitFirst && yieldAfterSend { await Task.yield() }
        guard !socket.isShutDown else { throw PGError(.closed, "the connection is closed") }
        var spun = false
        var yieldsLeft = waitFirst && yieldAfterSend ? Self.yieldsBeforePoller : 0
        if waitFirst && readSpin > .zero {
            spun = true
            socket.spin(readSpin)
        }
        while true {
            switch try socket.readOnce(into: &decoder, minimumCapacity: 16 * 1024) {
            case .done(0):
                throw PGError(.serverClosedConnection, "server closed the connection unexpectedly")
            case .done(let count):
                return count
            case .wouldBlock:
                if !spun && readSpin > .zero {
                    spun = true
                    socket.spin(readSpin)
                } else if yieldsLeft > 0 {
                    yieldsLeft -= 1
                    await Task.yield()
                } else {
                    try await wait(for: .readable)
                }
            }
        }
    }

    /// One wait in the poller within ``budget``; a passed deadline or a cancelled task is
    /// handed to the budget, which says whether to send a CancelRequest and wait on, or fail.
    private func wait(for interest: Poller.Interest) async throws {
        do {
            try await socket.wait(
                for: interest, deadline: budget.deadline, cancellable: cancellable && budget.acceptsCancellation)
        } catch is Poller.DeadlineExceeded {
            try perform(budget.deadlinePassed(now: .now))
        } catch is CancellationError {
            try perform(budget.taskCancelled(now: .now))
        }
    }

    private func perform(_ decision: WaitBudget.Decision) throws {
        switch decision {
        case .sendCancelRequest: onCancel()
        case .fail(let error): throw error
        }
    }
}
