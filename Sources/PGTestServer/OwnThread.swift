import Foundation

/// Runs blocking work (starting or stopping a server, waiting for a child process) on a thread
/// of its own and suspends the calling task until it is done.
///
/// Swift's cooperative pool has one thread per core: two on the machines we test on. A test
/// that waits for `initdb`, `pg_ctl` or a child process on one of them stalls every other task
/// of the whole test run for that long, and timing-sensitive tests elsewhere then fail. Work
/// that blocks goes here instead.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

extension TestServer {
    /// Starts a server, runs `body` with it, and stops it (removing its folder) whether `body`
    /// returns or throws; the blocking start and stop run ``onOwnThread(_:)``.
    public static func withRunning<T: Sendable>(
        _ options: Options = Options(), _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let server = try await onOwnThread { try TestServer.start(options) }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(server))
        } catch {
            outcome = .failure(error)
        }
        _ = try? await onOwnThread { try server.stop() }
        return try outcome.get()
    }
}

extension TestServer {
    /// Starts a primary and a streaming standby of it (``startStandby(_:)``) off the
    /// cooperative pool, runs `body` with both, and stops both (the standby first), whether
    /// `body` returned or threw. About 1.5 s; each call has servers of its own, so `body` may
    /// promote the standby or stop the primary. One pair runs at a time in a process: a call
    /// waits for the one before to end, so `body` must not start another pair.
    public static func withPrimaryAndStandby<T: Sendable>(
        _ options: Options = Options(), _ body: (_ primary: TestServer, _ standby: TestServer) async throws -> T
    ) async throws -> T {
        await PairGate.shared.enter()
        do {
            let result = try await runPrimaryAndStandby(options, body)
            await PairGate.shared.leave()
            return result
        } catch {
            await PairGate.shared.leave()
            throw error
        }
    }

    private static func runPrimaryAndStandby<T: Sendable>(
        _ options: Options, _ body: (_ primary: TestServer, _ standby: TestServer) async throws -> T
    ) async throws -> T {
        let (primary, standby) = try await onOwnThread { () throws -> (TestServer, TestServer) in
            let primary = try TestServer.start(options)
            do { return (primary, try primary.startStandby()) } catch {
                try? primary.stop()
                throw error
            }
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(primary, standby))
        } catch {
            outcome = .failure(error)
        }
        _ = try? await onOwnThread {
            try? standby.stop()
            try primary.stop()
        }
        return try outcome.get()
    }
}
