#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPGSystem

/// Every POSIX call PGWire's transport makes, in one place.
///
/// Each wrapper retries on EINTR, reads `errno` immediately after the failing call, and turns
/// "would block" into a value rather than an error, so the layers above never see `errno`.
enum Sys {
    /// The outcome of a non-blocking read or write.
    enum IOResult: Equatable {
        case done(Int)
        case wouldBlock
    }

    /// A failed system call: its name and the errno it set.
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let errno: Int32
        var description: String { "\(call): \(Sys.describe(errno)) (errno \(errno))" }
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "unknown error" }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: strlen(text)), as: UTF8.self)
    }

    @inline(__always)
    private static func retrying<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(Failure) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw Failure(call: call, errno: code)
        }
    }

    static func socket(domain: Int32, type: Int32, protocol proto: Int32) throws(Failure) -> Int32 {
        try retrying("socket") { Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), proto) }
    }

    /// Starts a non-blocking connect. Returns true when connected at once, false when in progress.
    static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(Failure) -> Bool {
        let result = Glibc.connect(fd, address, length)
        if result == 0 { return true }
        let code = Glibc.errno
        // EINTR on a non-blocking connect means the connect goes on asynchronously, like EINPROGRESS.
        if code == EINPROGRESS || code == EINTR { return false }
        throw Failure(call: "connect", errno: code)
    }

    /// The pending error of a socket (SO_ERROR), 0 when the last connect succeeded.
    static func socketError(_ fd: Int32) throws(Failure) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retrying("getsockopt(SO_ERROR)") { Glibc.getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) }
        return value
    }

    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(Failure) {
        var value = value
        _ = try retrying("setsockopt") {
            Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> IOResult {
        while true {
            let count = Glibc.recv(fd, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return .done(count) }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw Failure(call: "recv", errno: code)
        }
    }

    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(Failure) -> IOResult {
        while true {
            // MSG_NOSIGNAL: a peer that went away gives EPIPE instead of killing the process.
            let count = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .done(count) }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw Failure(call: "send", errno: code)
        }
    }

    /// Waits at most `timeout` for `events` on one descriptor. Returns the events seen (0 on timeout).
    /// Uses ppoll for microsecond resolution; used only for short, bounded waits.
    static func poll(_ fd: Int32, events: Int16, timeout: Duration) throws(Failure) -> Int16 {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let ready = try retrying("ppoll") { pgw_poll_one(fd, events, nanoseconds) }
        return Int16(truncatingIfNeeded: ready)
    }

    static func close(_ fd: Int32) {
        // Never retry close on EINTR: on Linux the descriptor is released either way.
        _ = Glibc.close(fd)
    }

    static func shutdown(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    static func epollCreate() throws(Failure) -> Int32 {
        try retrying("epoll_create1") { pgw_epoll_create() }
    }

    static func epollControl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(Failure) {
        _ = try retrying("epoll_ctl") { pgw_epoll_ctl(epfd, op, fd, events, data) }
    }

    /// `epoll_ctl` that returns the errno (0 on success), for callers that handle some codes.
    static func epollControlErrno(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Int32 {
        do {
            try epollControl(epfd, op, fd, events: events, data: data)
            return 0
        } catch {
            return error.errno
        }
    }

    /// Waits for ready descriptors; fills `data` and `events` and returns how many are ready.
    static func epollWait(
        _ epfd: Int32, data: UnsafeMutableBufferPointer<UInt64>, events: UnsafeMutableBufferPointer<UInt32>,
        timeoutMilliseconds: Int32
    ) throws(Failure) -> Int {
        Int(try retrying("epoll_wait") {
            pgw_epoll_wait(epfd, data.baseAddress, events.baseAddress, Int32(min(data.count, events.count)), timeoutMilliseconds)
        })
    }

    static func eventFD() throws(Failure) -> Int32 {
        try retrying("eventfd") { pgw_eventfd() }
    }

    static func signalEventFD(_ fd: Int32) {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    static func drainEventFD(_ fd: Int32) {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }

    /// Resolves a host name. May block for as long as the system resolver takes: callers run it
    /// off the cooperative pool unless the host is numeric.
    static func resolve(host: String, port: Int, numericOnly: Bool) -> Result<[ResolvedAddress], Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = numericOnly ? (AI_NUMERICHOST | AI_NUMERICSERV) : AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(Failure(call: "getaddrinfo(\(host)): " + String(cString: gai_strerror(status)), errno: status))
        }
        defer { freeaddrinfo(first) }
        var addresses: [ResolvedAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let address = current.pointee.ai_addr {
                let bytes = UnsafeRawBufferPointer(start: address, count: Int(current.pointee.ai_addrlen))
                addresses.append(ResolvedAddress(family: current.pointee.ai_family, storage: Array(bytes)))
            }
            node = current.pointee.ai_next
        }
        return .success(addresses)
    }

    static let nonNumericHost: Int32 = EAI_NONAME
}

/// A socket address in its raw `sockaddr` form, with its family.
struct ResolvedAddress: Sendable, CustomStringConvertible {
    let family: Int32
    let storage: [UInt8]

    static func unix(path: String) -> ResolvedAddress? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity, !bytes.contains(0) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let length = MemoryLayout<sa_family_t>.size + bytes.count + 1
        let raw = withUnsafeBytes(of: &address) { Array($0.prefix(length)) }
        return ResolvedAddress(family: AF_UNIX, storage: raw)
    }

    private static func string(fromCString text: [CChar]) -> String {
        let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    var description: String {
        storage.withUnsafeBytes { raw -> String in
            switch family {
            case AF_INET:
                var address = raw.loadUnaligned(as: sockaddr_in.self)
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
                return Self.string(fromCString: text) + ":" + String(UInt16(bigEndian: address.sin_port))
            case AF_INET6:
                var address = raw.loadUnaligned(as: sockaddr_in6.self)
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
                return "[" + Self.string(fromCString: text) + "]:" + String(UInt16(bigEndian: address.sin6_port))
            case AF_UNIX:
                let pathBytes = raw.dropFirst(MemoryLayout<sa_family_t>.size).prefix { $0 != 0 }
                return String(decoding: pathBytes, as: UTF8.self)
            default:
                return "address family \(family)"
            }
        }
    }
}
