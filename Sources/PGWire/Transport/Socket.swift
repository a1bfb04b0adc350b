#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import Synchronization

/// A connected, non-blocking stream socket (TCP or Unix domain) owned by one connection.
///
/// Reads and writes run on the calling task's thread. When the socket is not ready, a read first
/// waits a short, bounded time in `ppoll` (an answer over loopback arrives within tens of
/// microseconds, and suspending would cost more than that) and then suspends the task on the
/// ``Poller`` so that slow queries hold no thread.
final class Socket {
    let fd: Int32
    let endpoint: PGEndpoint
    /// Set by ``shutdown()``: reads and writes fail from then on. The descriptor stays valid (a
    /// pipelined connection's other tasks may still hold it) until ``close()`` or deinit.
    private let shutDown = Atomic(false)
    private let closed = Atomic(false)
    /// The TLS session once the handshake is done; from then on every read and write goes
    /// through it. Set once, during startup, before any other task can use the socket.
    private(set) var tls: TLSSession?

    private init(fd: Int32, endpoint: PGEndpoint) {
        self.fd = fd
        self.endpoint = endpoint
    }

    deinit {
        if !closed.load(ordering: .acquiring) { Sys.close(fd) }
    }

    /// True once the socket was shut down or closed.
    var isShutDown: Bool { shutDown.load(ordering: .acquiring) }
    /// True once the descriptor was closed.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Breaks the connection in both directions without releasing the descriptor: a task
    /// blocked in a read wakes up with end of stream.
    func shutdown() {
        if shutDown.exchange(true, ordering: .acquiringAndReleasing) { return }
        Sys.shutdown(fd)
    }

    /// TCP settings applied after connecting (libpq's `keepalives*` and `tcp_user_timeout`).
    struct Options: Sendable, Equatable {
        /// SO_KEEPALIVE.
        var keepalives = true
        /// TCP_KEEPIDLE, TCP_KEEPINTVL (seconds) and TCP_KEEPCNT; nil keeps the system's value.
        var keepaliveIdleSeconds: Int32?
        var keepaliveIntervalSeconds: Int32?
        var keepaliveCount: Int32?
        /// TCP_USER_TIMEOUT in milliseconds; nil keeps the system's value.
        var userTimeoutMilliseconds: UInt32?
        /// Try a host name's addresses in a random order (`load_balance_hosts=random`).
        var shuffleAddresses = false
    }

    /// Connects to `endpoint`, trying every resolved address in order, each within `timeout`.
    /// Returns the socket and when the attempt at its address began, from which the caller
    /// counts the rest of its startup budget.
    static func connect(
        to endpoint: PGEndpoint, timeout: Duration?, options: Options = Options()
    ) async throws -> (socket: Socket, started: ContinuousClock.Instant) {
        var addresses: [ResolvedAddress]
        switch endpoint {
        case .unixSocket(let path):
            guard let address = ResolvedAddress.unix(path: path) else {
                throw PGError(.invalidConfiguration, "Unix socket path is too long or contains NUL: \(path)")
            }
            addresses = [address]
        case .tcp(let host, let port):
            addresses = try await resolve(host: host, port: port)
            if options.shuffleAddresses { addresses.shuffle() }
        }
        var lastError = PGError(.connectionFailed, "no address to connect to for \(endpoint)")
        for address in addresses {
            let started = ContinuousClock.now
            do {
                return (try await connect(to: address, endpoint: endpoint, timeout: timeout, options: options), started)
            } catch let error as PGError {
                lastError = error
            }
        }
        throw lastError
    }

    private static func resolve(host: String, port: Int) async throws -> [ResolvedAddress] {
        guard (0...65535).contains(port) else {
            throw PGError(.invalidConfiguration, "port \(port) is out of range")
        }
        // Numeric addresses resolve instantly, inline. Names may wait on DNS for seconds, so
        // they are resolved on a Dispatch thread, never on the cooperative pool.
        if case .success(let addresses) = Sys.resolve(host: host, port: port, numericOnly: true) {
            return addresses
        }
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Sys.resolve(host: host, port: port, numericOnly: false))
            }
        }
        switch result {
        case .success(let addresses) where !addresses.isEmpty:
            return addresses
        case .success:
            throw PGError(.connectionFailed, "could not resolve host \"\(host)\": no addresses")
        case .failure(let failure):
            throw PGError(.connectionFailed, "could not translate host name \"\(host)\" to address: \(failure.call)")
        }
    }

    private static func connect(
        to address: ResolvedAddress, endpoint: PGEndpoint, timeout: Duration?, options: Options
    ) async throws -> Socket {
        let fd: Int32
        do {
            fd = try Sys.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
        } catch {
            throw PGError(.connectionFailed, "could not create socket for \(address): \(error)", errno: error.errno)
        }
        let socket = Socket(fd: fd, endpoint: endpoint)
        do {
            let connected = try address.storage.withUnsafeBytes { raw in
                try Sys.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            if !connected {
                let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
                do {
                    try await Poller.shared.wait(fd: fd, writable: true, deadline: deadline, cancellable: true)
                } catch is Poller.DeadlineExceeded {
                    throw PGError(.timeout, "connection to \(address) timed out after \(timeout!)")
                } catch is CancellationError {
                    throw CancellationError()
                }
                let pending = try Sys.socketError(fd)
                if pending != 0 { throw Sys.Failure(call: "connect", errno: pending) }
            }
            if address.family != AF_UNIX { try apply(options, to: fd) }
            return socket
        } catch let failure as Sys.Failure {
            socket.close()
            let refused = failure.errno == ECONNREFUSED || failure.errno == ENOENT
            let what = address.family == AF_UNIX ? "socket \"\(address)\"" : "server at \(address)"
            throw PGError(
                refused ? .connectionRefused : .connectionFailed,
                "could not connect to \(what): \(Sys.describe(failure.errno))", errno: failure.errno)
        } catch {
            socket.close()
            throw error
        }
    }

    /// Waits in the poller (no thread held) until the socket shows any of `interest`.
    ///
    /// - Throws: ``Poller/DeadlineExceeded`` when `deadline` passes first; `CancellationError`
    ///   when `cancellable` and the task is cancelled.
    func wait(for interest: Poller.Interest, deadline: ContinuousClock.Instant?, cancellable: Bool) async throws {
        try await Poller.shared.wait(fd: fd, for: interest, deadline: deadline, cancellable: cancellable)
    }

    /// Waits on the calling thread, at most `duration`, for the socket to become readable: the
    /// short spin that beats suspending when an answer is on its way over loopback.
    func spin(_ duration: Duration) {
        _ = try? Sys.poll(fd, events: Int16(POLLIN), timeout: duration)
    }

    /// Starts using `session` for every read and write (after its handshake).
    func startTLS(_ session: TLSSession) { tls = session }

    /// One non-blocking send of `bytes[offset...]`.
    func sendOnce(_ bytes: [UInt8], from offset: Int) throws -> Sys.IOResult {
        if let tls { return try sendOnce(bytes, from: offset, through: tls) }
        do {
            return try bytes.withUnsafeBytes { raw in
                try Sys.write(fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
        } catch let failure as Sys.Failure {
            throw Self.ioError("could not send data to server", failure.errno)
        }
    }

    /// The error for a failed send or recv. ETIMEDOUT comes from `tcp_user_timeout` or the
    /// keepalive probes: the peer stopped acknowledging, which is a timeout, not a close.
    static func ioError(_ what: String, _ errno: Int32) -> PGError {
        if errno == ETIMEDOUT {
            return PGError(
                .timeout, "\(what): the server stopped acknowledging (tcp_user_timeout or keepalives expired)", errno: errno)
        }
        return PGError(.serverClosedConnection, "\(what): \(Sys.describe(errno))", errno: errno)
    }

    /// TCP_NODELAY always; the keepalive and user-timeout settings as libpq applies them.
    private static func apply(_ options: Options, to fd: Int32) throws(Sys.Failure) {
        let tcp = Int32(IPPROTO_TCP)
        try Sys.setOption(fd, level: tcp, name: TCP_NODELAY, value: 1)
        try Sys.setOption(fd, level: SOL_SOCKET, name: SO_KEEPALIVE, value: options.keepalives ? 1 : 0)
        if options.keepalives {
            if let idle = options.keepaliveIdleSeconds { try Sys.setOption(fd, level: tcp, name: TCP_KEEPIDLE, value: idle) }
            if let interval = options.keepaliveIntervalSeconds { try Sys.setOption(fd, level: tcp, name: TCP_KEEPINTVL, value: interval) }
            if let count = options.keepaliveCount { try Sys.setOption(fd, level: tcp, name: TCP_KEEPCNT, value: count) }
        }
        if let milliseconds = options.userTimeoutMilliseconds {
            try Sys.setOption(fd, level: tcp, name: TCP_USER_TIMEOUT, value: Int32(clamping: milliseconds))
        }
    }

    /// Writes all of `bytes` on a socket of its own (a CancelRequest's): waits for buffer
    /// space until `deadline`, ends at once when the task is cancelled.
    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        var offset = 0
        while offset < bytes.count {
            switch try sendOnce(bytes, from: offset) {
            case .done(let count): offset += count
            case .wouldBlock: try await wait(for: .writable, deadline: deadline, cancellable: true)
            }
        }
    }

    /// Reads and drops whatever arrives until the peer closes, `deadline` passes or the task is
    /// cancelled; errors end it quietly. The server closes a CancelRequest's socket once it has
    /// read the request, so this tells when the request was delivered.
    func awaitPeerClose(deadline: ContinuousClock.Instant) async {
        var sink = BackendMessageDecoder()
        while true {
            switch try? readOnce(into: &sink, minimumCapacity: 256) {
            case .done(let count) where count > 0:
                sink = BackendMessageDecoder()
            case .wouldBlock:
                do { try await wait(for: .readable, deadline: deadline, cancellable: true) } catch { return }
            default:
                return
            }
        }
    }

    /// Reads everything available now without waiting; returns the byte count (0 if none).
    func drainAvailable(into decoder: inout BackendMessageDecoder) throws -> Int {
        var total = 0
        while true {
            switch try readOnce(into: &decoder, minimumCapacity: 64 * 1024) {
            case .done(0):
                throw PGError(.serverClosedConnection, "server closed the connection unexpectedly")
            case .done(let count):
                total += count
            case .wouldBlock:
                return total
            }
        }
    }

    /// One non-blocking recv straight into the decoder's free space.
    func readOnce(into decoder: inout BackendMessageDecoder, minimumCapacity: Int) throws -> Sys.IOResult {
        if let tls { return try readOnce(into: &decoder, minimumCapacity: minimumCapacity, through: tls) }
        var outcome = Sys.IOResult.wouldBlock
        var failure: Sys.Failure?
        _ = decoder.writeIntoTail(minimumCapacity: minimumCapacity) { buffer in
            do throws(Sys.Failure) {
                outcome = try Sys.read(fd, into: buffer)
            } catch {
                failure = error
            }
            if case .done(let count) = outcome { return count }
            return 0
        }
        if let failure { throw Self.ioError("could not receive data from server", failure.errno) }
        return outcome
    }

    /// Closes the descriptor; harmless when already closed. Only call it when no other task can
    /// use the socket any more.
    func close() {
        shutDown.store(true, ordering: .releasing)
        if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
        Sys.close(fd)
    }
}
