public import Logging
import Synchronization

/// A dedicated, long-lived connection for notifications that reconnects by itself.
///
/// ```swift
/// let listener = PGListener(configuration: configuration)
/// for try await notification in try await listener.listen("orders") { ... }
/// ```
///
/// It connects on first use and keeps the connection open. When the connection drops (the
/// server restarted, the backend was terminated, the network broke), every sequence it handed
/// out ends with the connection's ``PGError`` — notifications may have been missed, so re-read
/// what you track and listen again — and it reconnects in the background with exponential
/// backoff (``ReconnectBackoff``) for as long as it is open. ``listen(_:bufferLimit:timeout:)``
/// waits for the connection up to its timeout, then fails with the last connect error: it
/// never hangs. ``PGPool`` owns one of these for ``PGPool/listen(_:bufferLimit:timeout:)``.
public final class PGListener: Sendable {
    private enum Phase {
        /// Not started, or between a loss and the next connect attempt's success.
        case waiting(lastError: PGError?)
        case connected(PGConnection)
        case closed
    }

    private struct State {
        var phase = Phase.waiting(lastError: nil)
        var supervisor: Task<Void, Never>?
        var waiters: [UInt64: CheckedContinuation<PGConnection, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        var reconnects = 0
    }

    /// Where to connect.
    public let configuration: PGConnection.Configuration
    /// The waits between connect attempts.
    public let backoff: ReconnectBackoff
    private let logger: Logger
    private let state = Mutex(State())

    /// - Parameters:
    ///   - configuration: the server and credentials (its `connectTimeout` bounds each attempt).
    ///   - backoff: the waits between failed connect attempts.
    ///   - logger: connects, losses and failed attempts are logged at debug level.
    public init(
        configuration: PGConnection.Configuration, backoff: ReconnectBackoff = ReconnectBackoff(),
        logger: Logger = Logger(label: "PGWire.PGListener")
    ) {
        self.configuration = configuration
        self.backoff = backoff
        self.logger = logger
    }

    /// Listens on `channel` on the listener's connection (see ``PGConnection/listen(_:bufferLimit:)``).
    ///
    /// `timeout` is how long to wait for a connection when there is none yet (first
    ///   use, or reconnecting after a loss).
    /// - Throws: ``PGError/Code/timeout`` naming the server and the last connect error when no
    ///   connection came within `timeout`; ``PGError/Code/closed`` after ``close()``; a server's
    ///   rejection of the password at once; ``PGError/Code/invalidConfiguration`` at once for a
    ///   configuration behind a pooler in transaction mode (``PGConnection/Configuration/poolerMode``).
    public func listen(
        _ channel: String, bufferLimit: Int = 10_000, timeout: Duration = .seconds(10)
    ) async throws -> PGNotificationSequence {
        // Checked before connecting: the supervisor would otherwise connect and fail forever.
        guard configuration.hasOwnSession else { throw configuration.sessionRequired("LISTEN") }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let connection = try await connection(before: deadline)
            do {
                return try await connection.listen(channel, bufferLimit: bufferLimit)
            } catch let error as PGError where connection.isClosed && ContinuousClock.now < deadline {
                // Lost between our look and the LISTEN: the supervisor is reconnecting.
                logger.debug("listener connection lost during LISTEN; waiting for the next", metadata: ["error": "\(error)"])
                continue
            }
        }
    }

    /// The backend process id of the current connection, nil while there is none.
    public var processID: Int32? {
        state.withLock { state in
            if case .connected(let connection) = state.phase { return connection.processID }
            return nil
        }
    }

    /// How many times the connection was re-established after a loss.
    public var reconnectCount: Int { state.withLock { $0.reconnects } }

    /// Closes the connection (its sequences end with ``PGError/Code/closed``) and stops
    /// reconnecting. Harmless when already closed.
    public func close() async {
        let (connection, supervisor, waiters) = state.withLock { state in
            var connection: PGConnection?
            if case .connected(let current) = state.phase { connection = current }
            state.phase = .closed
            defer {
                state.waiters = [:]
                state.supervisor = nil
            }
            return (connection, state.supervisor, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume(throwing: PGError(.closed, "the listener was closed")) }
        supervisor?.cancel()
        await connection?.close()
        await supervisor?.value
    }

    // MARK: Connection supervision

    /// The live connection, waiting for the supervisor (started here on first use) up to `deadline`.
    private func connection(before deadline: ContinuousClock.Instant) async throws -> PGConnection {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.timeOut(id)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await waitForConnection(id)
        } onCancel: {
            self.endWait(id, CancellationError())
        }
    }

    private func waitForConnection(_ id: UInt64) async throws -> PGConnection {
        enum Now { case ready(PGConnection), wait(UInt64), failed(any Error) }
        if Task.isCancelled { throw CancellationError() }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PGConnection, any Error>) in
            let now = state.withLock { state -> Now in
                switch state.phase {
                case .closed:
                    return .failed(PGError(.closed, "the listener was closed"))
                case .connected(let connection) where !connection.isClosed:
                    return .ready(connection)
                case .connected, .waiting:
                    // Checked under the lock: a cancellation after this finds the waiter.
                    if Task.isCancelled { return .failed(CancellationError()) }
                    state.waiters[id] = continuation
                    if state.supervisor == nil { state.supervisor = Task { await self.supervise() } }
                    return .wait(id)
                }
            }
            switch now {
            case .ready(let connection): continuation.resume(returning: connection)
            case .failed(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    /// Ends one waiter's wait with `error`, if it still waits.
    private func endWait(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume(throwing: error)
    }

    private func timeOut(_ id: UInt64) {
        let (waiter, lastError) = state.withLock { state -> (CheckedContinuation<PGConnection, any Error>?, PGError?) in
            var lastError: PGError?
            if case .waiting(let error) = state.phase { lastError = error }
            return (state.waiters.removeValue(forKey: id), lastError)
        }
        guard let waiter else { return }
        let reason = lastError.map { ": \($0.message)" } ?? ": still connecting"
        waiter.resume(throwing: PGError(.timeout, "no listener connection to \(configuration) in time\(reason)"))
    }

    /// Connects, hands the connection to the waiters, watches it until it ends, and starts
    /// over with backoff, until closed.
    private func supervise() async {
        var failures = 0
        var lost = false
        while !Task.isCancelled {
            let connection: PGConnection
            do {
                connection = try await PGConnection.connect(configuration, logger: logger)
            } catch {
                let error = error as? PGError ?? PGError(.connectionFailed, "\(error)")
                // A rejected password will not get better by retrying fast: waiters fail now.
                failWaitersIfFatal(error)
                let delay = backoff.delay(afterFailures: failures)
                failures += 1
                logger.debug("listener connect failed", metadata: ["error": "\(error)", "retry in": "\(delay)"])
                let open = state.withLock { state -> Bool in
                    if case .closed = state.phase { return false }
                    state.phase = .waiting(lastError: error)
                    return true
                }
                guard open else { return }
                try? await Task.sleep(for: delay)
                continue
            }
            // A listener of our own keeps the watcher reading, so a loss is seen at once.
            let sentinel: PGNotificationSequence
            do {
                sentinel = try await connection.listen("pgwire_listener_\(connection.processID ?? 0)", bufferLimit: 1_000)
            } catch {
                await connection.close()
                continue
            }
            failures = 0
            let waiters = state.withLock { state -> [CheckedContinuation<PGConnection, any Error>]? in
                if case .closed = state.phase { return nil }
                state.phase = .connected(connection)
                if lost { state.reconnects += 1 }
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            guard let waiters else {
                await connection.close()
                return
            }
            logger.debug("listener connected", metadata: ["pid": "\(connection.processID ?? 0)"])
            for waiter in waiters { waiter.resume(returning: connection) }
            do {
                for try await _ in sentinel {}
            } catch {
                logger.debug("listener connection lost", metadata: ["error": "\(error)"])
            }
            lost = true
            let open = state.withLock { state -> Bool in
                if case .closed = state.phase { return false }
                state.phase = .waiting(lastError: PGError(.serverClosedConnection, "the listener connection was lost"))
                return true
            }
            await connection.close()
            guard open else { return }
            try? await Task.sleep(for: backoff.delay(afterFailures: 0))
        }
    }

    /// Fails every waiter at once for errors that retrying will not cure (the server rejected
    /// us: wrong password, no such database or role).
    private func failWaitersIfFatal(_ error: PGError) {
        guard error.code == .server || error.code == .authentication || error.code == .passwordRequired
            || error.code == .unsupportedAuthentication || error.code == .invalidConfiguration
        else { return }
        let waiters = state.withLock { state in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}
