#if canImport(Glibc)
import Glibc
#endif
import PGTestServer
import Synchronization

/// A hostile or fake PostgreSQL server on 127.0.0.1, playing a script per accepted connection.
///
/// ```swift
/// try await withScriptedServer { _ in ScriptStep.handshake + [.readMessage(type: "Q"), .close] } body: { server in
///     let configuration = PGConnection.Configuration(host: "127.0.0.1", port: server.port, user: "fake")
///     ...
/// }
/// ```
///
/// The listener and each connection run on POSIX threads of their own (``FakeThread``), never
/// on Swift's cooperative pool, so a server waiting in `poll` cannot starve the client under
/// test. Every wait is a `poll` of at most ``ScriptPlayer/tick``, after which the thread checks
/// whether to stop: ``stop()`` was called or ``lifetime`` ran out. So a test that forgets to stop
/// the server still does not leave a thread behind for more than the lifetime.
final class ScriptedServer: Sendable {
    typealias Script = @Sendable (_ connectionIndex: Int) -> [ScriptStep]

    /// The ephemeral port the listener is bound to.
    let port: Int
    let lifetime: Duration
    private let listenFD: Int32
    private let script: Script
    private let deadline: ContinuousClock.Instant
    private let stopping = Atomic(false)

    private struct State {
        var records: [ConnectionRecord] = []
        var cancelRequests: [ReceivedCancelRequest] = []
        var connectionThreads: [FakeThread] = []
        var acceptThread: FakeThread?
    }

    private let state = Mutex(State())

    /// Binds 127.0.0.1:0 and starts accepting. `script` is asked once per accepted connection.
    init(lifetime: Duration = .seconds(30), script: @escaping Script) throws {
        self.lifetime = lifetime
        self.script = script
        self.deadline = ContinuousClock.now + lifetime
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FakeServerError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound, listen(fd, 64) == 0 else {
            close(fd)
            throw FakeServerError("bind/listen: errno \(errno)")
        }
        self.listenFD = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = FakeThread { [self] in acceptLoop() }
        state.withLock { $0.acceptThread = thread }
    }

    /// Whether the threads should keep going: not stopped, lifetime not over.
    var isRunning: Bool { !stopping.load(ordering: .relaxed) && ContinuousClock.now < deadline }

    /// The connections accepted so far, by index.
    var connections: [ConnectionRecord] { state.withLock { $0.records } }

    /// The connection with this index; fails the test if it was never accepted.
    func connection(_ index: Int) throws -> ConnectionRecord {
        let records = connections
        guard index < records.count else { throw FakeServerError("connection \(index) was never accepted (\(records.count) were)") }
        return records[index]
    }

    /// The CancelRequests received, in order.
    var cancelRequests: [ReceivedCancelRequest] { state.withLock { $0.cancelRequests } }

    /// Every script problem of every connection (unexpected message types, bad proofs).
    var problems: [String] { connections.flatMap { record in record.problems.map { "connection \(record.index): \($0)" } } }

    func recordCancel(_ request: ReceivedCancelRequest) { state.withLock { $0.cancelRequests.append(request) } }

    /// Closes the listener and every connection and joins their threads. Idempotent; returns
    /// within about one ``ScriptPlayer/tick`` plus a graceful close.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        let thread = state.withLock { state in
            defer { state.acceptThread = nil }
            return state.acceptThread
        }
        thread?.join()
    }

    /// Waits (polling) until `condition` holds or `limit` passes; returns whether it held.
    func wait(within limit: Duration = .seconds(5), until condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + limit
        while !condition() {
            if ContinuousClock.now >= end { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    private func acceptLoop() {
        defer {
            close(listenFD)
            let threads = state.withLock { state in
                defer { state.connectionThreads = [] }
                return state.connectionThreads
            }
            for thread in threads { thread.join() }
        }
        while isRunning {
            var descriptor = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, ScriptPlayer.tick) > 0 else { continue }
            let client = accept(listenFD, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let record = state.withLock { state in
                let record = ConnectionRecord(index: state.records.count)
                state.records.append(record)
                return record
            }
            let steps = script(record.index)
            let thread = FakeThread { [self] in
                var player = ScriptPlayer(fd: client, record: record, server: self)
                player.play(steps)
            }
            state.withLock { $0.connectionThreads.append(thread) }
        }
    }
}

/// A failure of the fake server's own setup (not of the client under test).
struct FakeServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a started ``ScriptedServer`` and always stops it afterwards.
func withScriptedServer<T>(
    lifetime: Duration = .seconds(30),
    _ script: @escaping ScriptedServer.Script,
    body: (ScriptedServer) async throws -> T
) async throws -> T {
    let server = try ScriptedServer(lifetime: lifetime, script: script)
    do {
        let result = try await body(server)
        await server.stopOffThePool()
        return result
    } catch {
        await server.stopOffThePool()
        throw error
    }
}

extension ScriptedServer {
    /// ``stop()`` joins threads that may sit in a scripted pause: never on one of the two
    /// cooperative threads, which every other test shares.
    func stopOffThePool() async {
        _ = try? await onOwnThread { [self] in self.stop() }
    }
}
