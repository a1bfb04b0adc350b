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
    let endpoint: Endpoint
    /// Set by ``shutdown()``: reads and writes fail from then on. The descriptor stays valid (a
    /// pipelined connection's other tasks may still hold it) until ``close()`` or deinit.
    private let shutDown = Atomic(false)
    private let closed = Atomic(false)

    private init(fd: Int32, endpoint: Endpoint) {
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

    /// Connects to `endpoint`, trying every resolved address in order, each within `timeout`.
    static func connect(to endpoint: Endpoint, timeout: Duration?) async throws -> Socket {
        let addresses: [ResolvedAddress]
        switch endpoint {
        case .unixSocket(let path):
            guard let address = ResolvedAddress.unix(path: path) else {
                throw PGError(.invalidConfiguration, "Unix socket path is too long or contains NUL: \(path)")
            }
            addresses = [address]
        case .tcp(let host, let port):
            addresses = try await resolve(host: host, port: port)
        }
        var lastError = PGError(.connectionFailed, "no address to connect to for \(endpoint)")
        for address in addresses {
            do {
                return try await connect(to: address, endpoint: endpoint, timeout: timeout)
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

    private static func connect(to address: ResolvedAddress, endpoint: Endpoint, timeout: Duration?) async throws -> Socket {
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
                    throw PGError(.cancelled, "connecting to \(address) was cancelled")
                }
                let pending = try Sys.socketError(fd)
                if pending != 0 { throw Sys.Failure(call: "connect", errno: pending) }
            }
            if address.family != AF_UNIX {
                try Sys.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
                try Sys.setOption(fd, level: SOL_SOCKET, name: SO_KEEPALIVE, value: 1)
            }
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

    /// Reads what is available into `decoder`, waiting if nothing is. Returns the byte count (> 0).
    /// Throws ``PGError/Code/serverClosedConnection`` at end of stream.
    ///
    /// `onCancel` runs if the task is cancelled while suspended waiting for data (it sends a
    /// CancelRequest; the read goes on and receives the server's answer to it).
    func read(
        into decoder: inout BackendMessageDecoder, spin: Duration, waitFirst: Bool = false,
        onCancel: (@Sendable () -> Void)? = nil
    ) async throws -> Int {
        guard !isShutDown else { throw PGError(.closed, "the connection is closed") }
        var spun = false
        if waitFirst && spin > .zero {
            spun = true
            _ = try? Sys.poll(fd, events: Int16(POLLIN), timeout: spin)
        }
        while true {
            let outcome = try readOnce(into: &decoder, minimumCapacity: 16 * 1024)
            switch outcome {
            case .done(0):
                throw PGError(.serverClosedConnection, "server closed the connection unexpectedly")
            case .done(let count):
                return count
            case .wouldBlock:
                if !spun && spin > .zero {
                    spun = true
                    _ = try? Sys.poll(fd, events: Int16(POLLIN), timeout: spin)
                } else if let onCancel {
                    let fd = self.fd
                    try await withTaskCancellationHandler {
                        try await Poller.shared.wait(fd: fd, writable: false, deadline: nil, cancellable: false)
                    } onCancel: {
                        onCancel()
                    }
                } else {
                    try await Poller.shared.wait(fd: fd, writable: false, deadline: nil, cancellable: false)
                }
            }
        }
    }

    /// One non-blocking send of `bytes[offset...]`.
    private func sendOnce(_ bytes: [UInt8], from offset: Int) throws -> Sys.IOResult {
        do {
            return try bytes.withUnsafeBytes { raw in
                try Sys.write(fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
        } catch let failure as Sys.Failure {
            throw PGError(.serverClosedConnection, "could not send data to server: \(Sys.describe(failure.errno))", errno: failure.errno)
        }
    }

    /// Writes all of `bytes`, waiting for buffer space when the kernel's send buffer is full.
    func write(_ bytes: [UInt8]) async throws {
        guard !isShutDown else { throw PGError(.closed, "the connection is closed") }
        var offset = 0
        while offset < bytes.count {
            switch try sendOnce(bytes, from: offset) {
            case .done(let count):
                offset += count
            case .wouldBlock:
                try await Poller.shared.wait(fd: fd, writable: true, deadline: nil, cancellable: false)
            }
        }
    }

    /// Writes all of `bytes` while moving whatever the server sends meanwhile into `decoder`.
    ///
    /// A long pipeline or COPY must not stop reading while it writes: the server blocks once its
    /// send buffer is full and then stops reading ours, and both sides would wait forever. Only
    /// the task holding the connection's read turn may call this.
    func write(_ bytes: [UInt8], readingInto decoder: inout BackendMessageDecoder) async throws {
        guard !isShutDown else { throw PGError(.closed, "the connection is closed") }
        var offset = 0
        while offset < bytes.count {
            switch try sendOnce(bytes, from: offset) {
            case .done(let count):
                offset += count
            case .wouldBlock:
                if try drainAvailable(into: &decoder) == 0 {
                    try await Poller.shared.wait(fd: fd, for: [.readable, .writable], deadline: nil, cancellable: false)
                }
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
    private func readOnce(into decoder: inout BackendMessageDecoder, minimumCapacity: Int) throws -> Sys.IOResult {
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
        if let failure {
            throw PGError(.serverClosedConnection, "could not receive data from server: \(Sys.describe(failure.errno))", errno: failure.errno)
        }
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
