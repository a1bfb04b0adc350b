#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Picks TCP ports that are free on loopback.
enum FreePort {
    /// A port the kernel just handed out for `127.0.0.1` and that is free on `::1` too (when
    /// the machine has IPv6). Another process may still take it before the server binds it;
    /// ``TestServer/start(_:)`` then tries another.
    static func pick() throws -> Int {
        for _ in 0..<20 {
            let port = try bindIPv4(port: 0)
            if ipv6PortIsFree(port) {
                return port
            }
        }
        throw TestServerError("could not find a free TCP port on 127.0.0.1 and ::1")
    }

    /// Binds a socket to 127.0.0.1:`port`, closes it and returns the port it got.
    private static func bindIPv4(port: Int) throws -> Int {
        let descriptor = socket(AF_INET, streamType, 0)
        guard descriptor >= 0 else { throw socketError("socket") }
        defer { close(descriptor) }
        guard let bound = LoopbackAddress.bindLoopback(descriptor, port: port) else { throw socketError("bind 127.0.0.1") }
        return bound
    }

    /// Whether `port` can be bound on `::1`; true when the machine has no IPv6 at all (the
    /// server then listens on IPv4 only).
    private static func ipv6PortIsFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET6, streamType, 0)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        var address = sockaddr_in6()
        #if canImport(Darwin)
        address.sin6_len = UInt8(MemoryLayout<sockaddr_in6>.size)
        #endif
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(port).bigEndian)
        address.sin6_addr = in6addr_loopback
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
        return result == 0 || errno != EADDRINUSE
    }

    private static var streamType: Int32 {
        #if canImport(Glibc) || canImport(Musl)
        Int32(SOCK_STREAM.rawValue)
        #else
        SOCK_STREAM
        #endif
    }

    private static func socketError(_ call: String) -> TestServerError {
        TestServerError("\(call) failed: \(String(cString: strerror(errno)))")
    }
}
