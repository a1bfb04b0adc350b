import Foundation
import PGTestServer

/// A test host behind a link that can be made to drop every packet, for the faults loopback
/// cannot show: a peer that stops acknowledging without closing (a pulled cable, a dead NAT,
/// a firewall that drops).
///
/// Needs root and iproute2: it makes a network namespace of its own with a veth pair on a
/// link-local /30 (no address outside this machine is involved), runs a minimal fake
/// PostgreSQL there (python3: trust login, then an answer to every simple Query), and
/// blackholes the link by a `blackhole` route inside the namespace, so the host's ACKs and
/// answers vanish. ``remove()`` deletes the namespace and the link.
final class BlackholeHost: @unchecked Sendable {
    /// Root, `ip` and `python3` are all needed; without them the tests that use this are skipped.
    static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") && which("python3") != nil
    }

    let namespace: String
    let outside: String
    let inside: String
    /// The fake server's address and port, inside the namespace.
    let address: String
    let port = 5999
    private let hostSide: String
    private var server: ChildProcess?

    init() {
        let tag = Int(getpid()) % 10_000 * 10 + Int.random(in: 0..<10)
        namespace = "pgwbh\(tag)"
        outside = "pgwbh\(tag)o"
        inside = "pgwbh\(tag)i"
        let octet = 16 + tag % 200
        hostSide = "169.254.\(octet).1"
        address = "169.254.\(octet).2"
    }

    /// Creates the namespace and link and starts the fake server; waits until it listens.
    func create() throws {
        try Self.ip("netns", "add", namespace)
        try Self.ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        try Self.ip("link", "set", inside, "netns", namespace)
        try Self.ip("addr", "add", "\(hostSide)/30", "dev", outside)
        try Self.ip("link", "set", outside, "up")
        try Self.ip("netns", "exec", namespace, "ip", "addr", "add", "\(address)/30", "dev", inside)
        try Self.ip("netns", "exec", namespace, "ip", "link", "set", inside, "up")
        try Self.ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        server = try ChildProcess(
            ["/usr/sbin/ip", "netns", "exec", namespace, Self.which("python3") ?? "python3", "-c", Self.fakeServer, address, String(port)],
            stdout: .null, stderr: .descriptor(2))
        // The script prints nothing; wait until its port accepts (bounded).
        for _ in 0..<100 {
            if Self.accepts(address, port) { return }
            usleep(50_000)
        }
        throw BlackholeError("the fake server in \(namespace) did not start listening")
    }

    /// From now on nothing the host sends reaches us: ACKs and answers are dropped.
    func blackhole() throws {
        try Self.ip("netns", "exec", namespace, "ip", "route", "add", "blackhole", "\(hostSide)/32")
    }

    func remove() {
        // `ip netns exec` may run the server as its child: end every process of the namespace.
        for pid in Self.output("/usr/sbin/ip", "netns", "pids", namespace).split(whereSeparator: \.isWhitespace) {
            if let pid = Int32(pid) { kill(pid, SIGKILL) }
        }
        server?.terminate()
        server?.waitForExit()
        try? Self.ip("link", "del", outside)
        try? Self.ip("netns", "del", namespace)
    }

    struct BlackholeError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static func ip(_ arguments: String...) throws {
        let result = try ChildProcess.run(["/usr/sbin/ip"] + arguments, timeout: .seconds(120))
        guard result.status == 0, !result.timedOut else {
            throw BlackholeError("ip \(arguments.joined(separator: " ")) failed: \(result.stderrText)")
        }
    }

    private static func output(_ executable: String, _ arguments: String...) -> String {
        guard let result = try? ChildProcess.run([executable] + arguments, timeout: .seconds(120)) else { return "" }
        return result.stdoutText
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        return nil
    }

    private static func accepts(_ host: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A fake PostgreSQL: trust login, then CommandComplete + ReadyForQuery for every Query.
    /// Connections that only probe (the readiness check) are dropped quietly. It exits by
    /// itself after 60 s.
    static let fakeServer = #"""
import socket, struct, sys, threading, time
host, port = sys.argv[1], int(sys.argv[2])
def msg(t, body): return t + struct.pack("!i", len(body) + 4) + body
def serve(c):
    try:
        head = c.recv(4)
        if len(head) < 4: return
        n = struct.unpack("!i", head)[0]
        body = b""
        while len(body) < n - 4:
            part = c.recv(n - 4 - len(body))
            if not part: return
            body += part
        c.sendall(msg(b"R", struct.pack("!i", 0)) + msg(b"K", struct.pack("!ii", 4242, 7)) + msg(b"Z", b"I"))
        while True:
            t = c.recv(1)
            if not t: return
            n = struct.unpack("!i", c.recv(4))[0]
            left = n - 4
            while left > 0:
                part = c.recv(left)
                if not part: return
                left -= len(part)
            if t == b"Q":
                c.sendall(msg(b"C", b"SELECT 0\0") + msg(b"Z", b"I"))
            elif t == b"X":
                return
    except OSError:
        return
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(8); s.settimeout(1.0)
end = time.time() + 60
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""#
}
