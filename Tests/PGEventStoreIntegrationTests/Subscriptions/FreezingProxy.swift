import Foundation
import PGTestServer

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy in front of the test server that can freeze the connections it carries: their
/// bytes stop flowing both ways while the sockets stay open, and the server is never told,
/// as when a network path dies without a reset. Connections made after a freeze flow.
///
/// A python3 script (the test skips without python3); `freeze()` sends it SIGUSR1.
final class FreezingProxy: @unchecked Sendable {
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") }

    let port: Int
    private let process: ChildProcess

    init(targetPort: Int) throws {
        port = Int.random(in: 20_000..<30_000)
        process = try ChildProcess(
            ["/usr/bin/python3", "-c", Self.script, String(port), String(targetPort)], stderr: .descriptor(2))
        // The script prints one line once it listens.
        let deadline = ContinuousClock.now + .seconds(30)
        while !String(decoding: process.standardOutput, as: UTF8.self).contains("\n") {
            guard process.isRunning, ContinuousClock.now < deadline else { break }
            usleep(5_000)
        }
        guard String(decoding: process.standardOutput, as: UTF8.self).hasPrefix("ready") else {
            process.kill()
            throw ProxyFailed()
        }
    }

    /// Freezes every connection open now.
    func freeze() { process.signal(SIGUSR1) }

    func stop() {
        process.kill()
        process.waitForExit()
    }

    struct ProxyFailed: Error {}

    private static let script = #"""
        import socket, sys, threading, signal, time
        listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
        pairs, lock = [], threading.Lock()
        def pipe(src, dst, pair):
            try:
                while True:
                    data = src.recv(65536)
                    while pair['frozen']:
                        time.sleep(3600)
                    if not data:
                        dst.shutdown(socket.SHUT_WR)
                        return
                    dst.sendall(data)
            except OSError:
                pass
        def freeze(*_):
            with lock:
                for pair in pairs:
                    pair['frozen'] = True
        signal.signal(signal.SIGUSR1, freeze)
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(('127.0.0.1', listen_port))
        server.listen(64)
        print('ready', flush=True)
        while True:
            client, _ = server.accept()
            upstream = socket.create_connection(('127.0.0.1', target_port))
            pair = {'frozen': False}
            with lock:
                pairs.append(pair)
            threading.Thread(target=pipe, args=(client, upstream, pair), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client, pair), daemon=True).start()
        """#
}
