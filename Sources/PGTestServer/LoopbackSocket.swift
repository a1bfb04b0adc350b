import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few socket calls of ``TestServer/DirectTLSEndpoint``: a loopback listener, the
/// connection to the real server, and poll().
///
/// Every descriptor is close-on-exec: tests run `psql` and `openssl` while an endpoint is up,
/// and a child that inherited a client's socket would keep it open after we close it, so
/// the client would never see the end of its connection.
enum LoopbackSocket {
    /// A socket listening on 127.0.0.1 at a port the kernel picks (port 0), so no other
    /// process can take it between picking and binding. Returns the descriptor and the port.
    static func openListener() throws -> (descriptor: Int32, port: Int) {
        let descriptor = try make(AF_INET)
        let port = LoopbackAddress.bindLoopback(descriptor, port: 0)
        guard let port, listen(descriptor, 64) == 0 else {
            let failure = error("bind/listen on 127.0.0.1")
            close(descriptor)
            throw failure
        }
        // Non-blocking: a client that leaves between poll() and accept() must not make the
        // accepting thread wait for the next one, deaf to stop().
        setNonBlocking(descriptor)
        return (descriptor, port)
    }

    /// Accepts a waiting connection; nil when there is none (or it went away meanwhile).
    static func acceptClient(_ listener: Int32) -> Int32? {
        #if canImport(Darwin)
        let descriptor = accept(listener, nil, nil)
        guard descriptor >= 0 else { return nil }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        var on: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        return descriptor
        #else
        if let accept4 = acceptWithFlags {
            let descriptor = accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            return descriptor >= 0 ? descriptor : nil
        }
        let descriptor = accept(listener, nil, nil)
        guard descriptor >= 0 else { return nil }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return descriptor
        #endif
    }

    #if !canImport(Darwin)
    private typealias AcceptWithFlags = @convention(c) (
        Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32
    ) -> Int32

    /// accept4(), which Swift's Glibc module hides (it needs _GNU_SOURCE): it makes the
    /// socket close-on-exec atomically, so a process spawned meanwhile by another thread
    /// cannot inherit it. Looked up once; plain accept() and fcntl() if it is missing.
    private static let acceptWithFlags: AcceptWithFlags? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4") else { return nil }
        return unsafeBitCast(symbol, to: AcceptWithFlags.self)
    }()
    #endif

    /// Connects, blocking, to TCP 127.0.0.1:`port` (loopback: it succeeds or fails at once).
    static func connectTCP(port: Int) throws -> Int32 {
        let descriptor = try make(AF_INET)
        let result = LoopbackAddress.connectSocket(descriptor, to: LoopbackAddress.ipv4(port: port))
        guard result else {
            let failure = error("connect to 127.0.0.1:\(port)")
            close(descriptor)
            throw failure
        }
        return descriptor
    }

    /// Connects, blocking, to the Unix socket at `path`.
    static func connectUnix(path: String) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw TestServerError("the socket path \(path) is too long for a socket address")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let descriptor = try make(AF_UNIX)
        guard LoopbackAddress.connectSocket(descriptor, to: address) else {
            let failure = error("connect to \(path)")
            close(descriptor)
            throw failure
        }
        return descriptor
    }

    /// Makes `descriptor` non-blocking: the relay never waits in a read or write, only in
    /// poll(), where the endpoint's stop signal can wake it.
    static func setNonBlocking(_ descriptor: Int32) {
        let flags = fcntl(descriptor, F_GETFL, 0)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
    }

    /// poll() on `descriptors`, retrying on EINTR; returns the events seen for each (all zero
    /// on timeout).
    static func waitFor(_ descriptors: [(descriptor: Int32, events: Int16)], timeoutMilliseconds: Int32) -> [Int16] {
        var entries = descriptors.map { pollfd(fd: $0.descriptor, events: $0.events, revents: 0) }
        while true {
            let result = entries.withUnsafeMutableBufferPointer {
                poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds)
            }
            if result >= 0 { return entries.map(\.revents) }
            if errno != EINTR { return entries.map { _ in Int16(POLLERR) } }
        }
    }

    /// Sends without raising SIGPIPE (the relay threads block it too, for OpenSSL's writes).
    static func sendNoSignal(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        #if canImport(Darwin)
        send(descriptor, bytes.baseAddress, bytes.count, 0)
        #else
        send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        #endif
    }

    /// Keeps SIGPIPE from killing the process when this thread writes to a socket whose peer
    /// is gone: OpenSSL writes the client's socket with plain write(), and a blocked SIGPIPE
    /// raised by this thread's write stays pending for this thread (discarded when it ends)
    /// while the write fails with EPIPE. Only this thread's mask changes, not the process's
    /// disposition, which the servers and tools we spawn would inherit. On Darwin the
    /// sockets get SO_NOSIGPIPE instead.
    static func blockSIGPIPEOnThisThread() {
        #if !canImport(Darwin)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        #endif
    }

    static func error(_ what: String) -> TestServerError {
        TestServerError("\(what) failed: \(String(cString: strerror(errno)))")
    }

    private static func make(_ family: Int32) throws -> Int32 {
        #if canImport(Darwin)
        let descriptor = socket(family, SOCK_STREAM, 0)
        guard descriptor >= 0 else { throw error("socket") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        var on: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        return descriptor
        #else
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw error("socket") }
        return descriptor
        #endif
    }
}

/// Wakes every thread of an endpoint out of poll() at once: each polls the read end, and
/// ``fire()`` closes the write end, which makes the read end readable (end of file) for
/// all of them, for good.
final class WakeSignal: Sendable {
    let readEnd: Int32
    /// -1 once fired.
    private let writeEnd: Mutex<Int32>

    init() throws {
        var ends: [Int32] = [-1, -1]
        #if canImport(Darwin)
        guard socketpair(AF_UNIX, SOCK_STREAM, 0, &ends) == 0 else { throw LoopbackSocket.error("socketpair") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        #else
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &ends) == 0 else { throw LoopbackSocket.error("socketpair") }
        #endif
        readEnd = ends[0]
        writeEnd = Mutex(ends[1])
    }

    func fire() {
        writeEnd.withLock { end in
            guard end >= 0 else { return }
            close(end)
            end = -1
        }
    }

    /// Closes the read end; only once no thread polls it any more.
    func closeReadEnd() {
        close(readEnd)
    }
}
