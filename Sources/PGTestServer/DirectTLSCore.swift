import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The running part of a ``TestServer/DirectTLSEndpoint``: its listener, its threads and the
/// records they write. Kept apart from the public object so that the threads, which hold
/// this, do not keep the endpoint alive: dropping the endpoint stops them.
final class DirectTLSCore: Sendable {
    typealias AcceptedConnection = TestServer.DirectTLSEndpoint.AcceptedConnection

    enum ServerAddress: Sendable {
        case tcp(port: Int)
        case unixSocket(path: String)
    }

    /// How many connections may be open at once; more are closed at once. Tests open a few;
    /// this only keeps a runaway client from starting threads without end.
    static let maximumConnections = 64
    /// How long a client has for its first byte, and then for the handshake.
    static let openingTimeout = Duration.seconds(10)

    let context: DirectTLSContext
    let alpn: TestServer.DirectTLSEndpoint.ALPNBehaviour
    let server: ServerAddress
    let port: Int
    let wake: WakeSignal
    let records = Mutex<[AcceptedConnection]>([])

    private let listener: Int32
    private let stopped = Mutex(false)
    private let open = Mutex(0)
    /// Entered by every thread while it runs, so that ``stop()`` can wait for them all.
    private let threads = DispatchGroup()

    init(context: DirectTLSContext, alpn: TestServer.DirectTLSEndpoint.ALPNBehaviour, server: ServerAddress) throws {
        self.context = context
        self.alpn = alpn
        self.server = server
        wake = try WakeSignal()
        do {
            (listener, port) = try LoopbackSocket.openListener()
        } catch {
            wake.fire()
            wake.closeReadEnd()
            throw error
        }
    }

    var isStopped: Bool { stopped.withLock { $0 } }

    func startAccepting() {
        spawn { self.acceptLoop() }
    }

    /// Changes the record of connection `index`.
    func update(_ index: Int, _ change: (inout AcceptedConnection) -> Void) {
        records.withLock { change(&$0[index]) }
    }

    /// Wakes every thread, waits for them, and then closes the wake signal; if some thread
    /// has not ended within five seconds (it cannot be stuck anywhere but in a bounded
    /// poll, so this is a safety net), its descriptors are left open rather than closed
    /// under it, where the number could be reused by someone else's socket.
    func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        wake.fire()
        if threads.wait(timeout: .now() + .seconds(5)) == .success {
            wake.closeReadEnd()
        }
    }

    /// Waits for `events` on `descriptor` until `deadline`; false on timeout or stop.
    func wait(for events: Int16, on descriptor: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while !isStopped {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            let milliseconds = Int32(min((left / .milliseconds(1)).rounded(.up), 1000))
            let seen = LoopbackSocket.waitFor([(descriptor, events), (wake.readEnd, Int16(POLLIN))], timeoutMilliseconds: milliseconds)
            if seen[1] != 0 { return false }
            if seen[0] != 0 { return true }
        }
        return false
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !isStopped {
            let seen = LoopbackSocket.waitFor(
                [(listener, Int16(POLLIN)), (wake.readEnd, Int16(POLLIN))], timeoutMilliseconds: 1000)
            if seen[1] != 0 { return }
            guard seen[0] & Int16(POLLIN) != 0, let client = LoopbackSocket.acceptClient(listener) else { continue }
            let admitted = open.withLock { open in
                guard open < Self.maximumConnections else { return false }
                open += 1
                return true
            }
            guard admitted else {
                close(client)
                continue
            }
            let index = records.withLock { records in
                records.append(AcceptedConnection())
                return records.count - 1
            }
            spawn {
                DirectTLSConnection(core: self, client: client, index: index).run()
                self.open.withLock { $0 -= 1 }
            }
        }
    }

    /// Runs `body` on a thread of its own that ``stop()`` waits for.
    private func spawn(_ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            body()
            threads.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
