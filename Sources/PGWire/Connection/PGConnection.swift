public import Logging
import Synchronization

/// One connection to a PostgreSQL server, speaking protocol 3.0 over TCP or a Unix socket.
///
/// ```swift
/// let connection = try await PGConnection.connect(.init(host: "127.0.0.1", user: "app", password: "secret"))
/// let results = try await connection.simpleQuery("SELECT 1; SELECT now()")
/// print(results[1].rows[0].text(at: 0)!)
/// await connection.close()
/// ```
///
/// A connection is safe to share between tasks: it runs one protocol exchange at a time, and
/// callers queue in arrival order. The exchange's socket I/O runs on the calling task's own
/// thread (no thread hop on the hot path); a task suspends only when an answer is slow.
public final class PGConnection: @unchecked Sendable {
    /// Receives the server's notices (warnings, `RAISE NOTICE`, ...).
    public typealias NoticeHandler = @Sendable (PGNotice) -> Void

    struct Shared {
        var parameters: [String: String] = [:]
        var transactionStatus = PGTransactionStatus.idle
        var backendKeyData: PGBackendKeyData?
        var protocolNegotiation: PGProtocolNegotiation?
        var authenticationMethod = PGAuthenticationMethod.trust
        /// Numbers the named prepared statements of this session.
        var statementCounter = 0
    }

    /// The settings this connection was opened with.
    public let configuration: Configuration
    let logger: Logger
    let noticeHandler: NoticeHandler
    let shared = Mutex(Shared())
    /// Set once by ``close()`` or when the connection breaks; read on every exchange, so an
    /// atomic rather than a field of `shared`.
    let closedFlag = Atomic(false)
    /// Named statements for repeated queries.
    let statementCache: StatementCache
    /// Serialises writes (see MARK: Exchanges).
    let sendLock = ExchangeLock()
    /// Orders reads (see MARK: Exchanges).
    let readQueue = ReadQueue()
    /// The encoder is touched only with `sendLock` held, the decoder only with the read turn.
    let io: ConnectionIO
    /// The listeners of ``listen(_:bufferLimit:)``, by channel.
    let notificationHub = NotificationHub()
    /// Reads notifications while no exchange runs; exists while there are listeners.
    let notificationWatcher = Mutex<Task<Void, Never>?>(nil)

    /// The server of ``Configuration/servers`` this connection reached.
    public let server: Configuration.Server

    private init(
        configuration: Configuration, server: Configuration.Server, socket: Socket, logger: Logger,
        noticeHandler: NoticeHandler?
    ) {
        self.configuration = configuration
        self.statementCache = StatementCache(
            capacity: configuration.hasOwnSession ? max(0, configuration.statementCacheCapacity) : 0)
        self.server = server
        self.logger = logger
        self.io = ConnectionIO(socket: socket, limits: configuration.messageLimits, readSpin: configuration.readSpin,
            yieldAfterSend: configuration.yieldAfterSend)
        self.noticeHandler = noticeHandler ?? { [logger] notice in
            logger.debug("server notice", metadata: [
                "severity": "\(notice.severity)", "sqlstate": "\(notice.sqlState ?? "")", "message": "\(notice.message)",
            ])
        }
        // unowned, not weak: a weak reference gives the connection a side table, which makes every
        // retain and release of it take the slow path (measured: 3% of a round trip's CPU).
        io.onCancel = { [unowned self] in self.cancelInBackground() }
    }

    /// Opens a connection: connects the socket, sends the startup message, authenticates
    /// (trust, cleartext, MD5 or SCRAM-SHA-256) and waits until the server is ready for queries.
    ///
    /// With several ``Configuration/servers``, they are tried in order, as libpq does: a server
    /// that cannot be reached, or whose session does not match
    /// ``Configuration/targetSessionAttributes``, is skipped; an authentication failure ends the
    /// attempt at once. ``Configuration/connectTimeout`` bounds each server's attempt, not the
    /// whole list. With ``Configuration/loadBalanceHosts`` `.random` the order is shuffled for
    /// each connect.
    ///
    /// - Parameters:
    ///   - configuration: where to connect and as whom.
    ///   - logger: receives debug and trace logs; PGWire never bootstraps logging.
    ///   - noticeHandler: receives NoticeResponses; by default they are logged at debug level.
    /// - Throws: ``PGError``; a rejected password is ``PGError/Code/server`` with SQLSTATE 28P01.
    public static func connect(
        _ configuration: Configuration,
        logger: Logger = Logger(label: "PGWire"),
        noticeHandler: NoticeHandler? = nil
    ) async throws -> PGConnection {
        try configuration.validate()
        let attributes = configuration.targetSessionAttributes
        // prefer-standby: a first pass accepts only standbys, a second pass anything.
        let passes: [Configuration.TargetSessionAttributes] =
            attributes == .preferStandby ? [.standby, .any] : [attributes]
        // load_balance_hosts=random: one shuffled order for both passes, as libpq.
        let servers = configuration.loadBalanceHosts == .random ? configuration.servers.shuffled() : configuration.servers
        var failures: [PGError] = []
        for wanted in passes {
            for server in servers {
                let connection: PGConnection
                do {
                    connection = try await connect(to: server, configuration, logger: logger, noticeHandler: noticeHandler)
                } catch let error as PGError {
                    if configuration.servers.count == 1 { throw error }
                    // libpq tries the next host when one cannot be reached, but not after the
                    // server rejected us: the next would most likely reject us too.
                    if ![.connectionRefused, .connectionFailed, .timeout, .serverClosedConnection, .tlsFailed].contains(error.code) {
                        throw error
                    }
                    failures.append(error)
                    continue
                }
                do {
                    if try await connection.matches(wanted) { return connection }
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
                failures.append(PGError(.connectionFailed, "server at \(server) is not \(wanted.rawValue)"))
            }
        }
        if failures.count == 1, let only = failures.first { throw only }
        let code = failures.last?.code ?? .connectionFailed
        throw PGError(code, "could not connect to any server: " + failures.map(\.message).joined(separator: "; "))
    }

    private static func connect(
        to server: Configuration.Server, _ configuration: Configuration, logger: Logger, noticeHandler: NoticeHandler?
    ) async throws -> PGConnection {
        let attempt = TLSAttempt(configuration.tls, endpoint: server.endpoint)
        do {
            return try await connect(to: server, attempt, configuration, logger: logger, noticeHandler: noticeHandler)
        } catch let error as PGError where configuration.tls.mode == .allow && attempt == .plaintext && error.code == .server {
            // allow, as libpq: the server refused the plaintext login (perhaps pg_hba.conf lets
            // this user in over TLS only), so try once more over TLS.
            if case .unixSocket = server.endpoint { throw error }
            logger.debug("plaintext login refused; trying TLS (sslmode=allow)", metadata: ["error": "\(error.message)"])
            return try await connect(to: server, .request(required: true), configuration, logger: logger, noticeHandler: noticeHandler)
        }
    }

    private static func connect(
        to server: Configuration.Server, _ attempt: TLSAttempt, _ configuration: Configuration, logger: Logger,
        noticeHandler: NoticeHandler?
    ) async throws -> PGConnection {
        let (socket, started) = try await Socket.connect(
            to: server.endpoint, timeout: configuration.connectTimeout, options: configuration.socketOptions)
        do {
            try await negotiateTLS(
                on: socket, attempt, server: server, configuration, deadline: configuration.connectTimeout.map { started + $0 })
        } catch {
            socket.close()
            throw error
        }
        let connection = PGConnection(
            configuration: configuration, server: server, socket: socket, logger: logger, noticeHandler: noticeHandler)
        // connect_timeout bounds the whole startup with this address, as in libpq: a server
        // that accepts and then says nothing, or stalls mid-authentication, fails in time.
        let budget = configuration.connectTimeout.map {
            WaitBudget(purpose: .startup($0, server: server.description), grace: configuration.cancelGrace, now: started)
        } ?? .unbounded
        do {
            try await connection.exclusive(budget: budget) { io in try await connection.startup(io) }
        } catch {
            socket.close()
            throw error
        }
        logger.debug("connected", metadata: ["endpoint": "\(server.endpoint)", "pid": "\(connection.processID ?? 0)"])
        return connection
    }

    // MARK: Session state

    /// The server's run-time parameters as last reported by ParameterStatus (server_version,
    /// TimeZone, DateStyle, integer_datetimes, standard_conforming_strings, ...).
    public var parameters: [String: String] { shared.withLock { $0.parameters } }

    /// The current value of one run-time parameter reported by the server.
    public func parameter(_ name: String) -> String? { shared.withLock { $0.parameters[name] } }

    /// The server's version string, for example `15.18 (Debian 15.18-0+deb12u1)`.
    public var serverVersion: String? { parameter("server_version") }

    /// The transaction status reported by the last ReadyForQuery.
    public var transactionStatus: PGTransactionStatus { shared.withLock { $0.transactionStatus } }

    /// The backend's process id and cancel key (BackendKeyData).
    public var backendKeyData: PGBackendKeyData? { shared.withLock { $0.backendKeyData } }

    /// The backend's process id, as in `pg_backend_pid()`.
    public var processID: Int32? { backendKeyData?.processID }

    /// The server's NegotiateProtocolVersion answer, if it sent one.
    public var protocolNegotiation: PGProtocolNegotiation? { shared.withLock { $0.protocolNegotiation } }

    /// How this connection authenticated.
    public var authenticationMethod: PGAuthenticationMethod { shared.withLock { $0.authenticationMethod } }

    /// True once ``close()`` was called or the connection broke.
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    // MARK: Closing

    /// Sends Terminate and closes the socket. Harmless when already closed. Exchanges still
    /// running on other tasks are interrupted and fail with ``PGError/Code/closed``.
    public func close() async {
        let wasOpen = !closedFlag.exchange(true, ordering: .acquiringAndReleasing)
        guard wasOpen else { return }
        notificationHub.failAll(PGError(.closed, "the connection was closed; notifications sent after this were not received"))
        stopNotificationWatcher()
        let idle = sendLock.tryLock()
        if !idle || !readQueue.isIdle {
            // Something is in flight (perhaps a long query): break the socket so it ends now.
            io.socket.shutdown()
            if idle { sendLock.unlock() }
            await sendLock.lock()
        }
        defer { sendLock.unlock() }
        // Wait until every reader has given up its turn, then nobody touches the socket.
        let ticket = readQueue.take()
        await readQueue.waitForTurn(ticket)
        defer { readQueue.advance() }
        if !io.socket.isShutDown {
            io.encoder.reset()
            io.encoder.terminate()
            try? await io.flush()
        }
        io.socket.close()
        logger.debug("connection closed")
    }

    // MARK: Exchanges
    //
    // Writes are serialised by `sendLock`; reads by `readQueue` in write order. A pipelined
    // exchange holds the send lock only while writing, so other tasks can send behind it while
    // it waits for its answer. An exclusive exchange (startup, simple query, COPY) holds the send
    // lock until it has read its last message, so nothing is sent behind it.

    /// Encodes and sends a request, then waits for this request's turn to read. On return the
    /// caller holds the read turn and must end it with ``endRead()``.
    func send(cancellable: Bool = true, _ encode: (inout FrontendMessageEncoder) throws -> Void) async throws {
        let budget = queryBudget()
        try await lockForSending(cancellable: cancellable)
        let ticket: UInt64
        do {
            defer { sendLock.unlock() }
            ticket = try await write(deadline: budget.deadline, encode)
        }
        // A cancelled task stops waiting at once; its answer is read and dropped by the next
        // reader.
        if cancellable {
            try await readQueue.waitForTurn(ticket, requestSent: true)
        } else {
            await readQueue.waitForTurn(ticket)
        }
        io.cancellable = cancellable
        io.budget = budget
        if readQueue.hasOwedDrain { try await settleOrEndRead() }
    }

    /// Reads what dropped sequences left (see ``settleAbandoned()``); on failure gives the
    /// read turn back, since the caller will not.
    private func settleOrEndRead() async throws {
        do {
            try await settleAbandoned()
        } catch {
            endRead()
            throw error
        }
    }

    /// Runs `body` with the socket to itself: nothing is sent behind it and nobody else reads.
    /// `body` writes with ``ConnectionIO/flush()`` and reads with ``receive(_:)``.
    func exclusive<T>(
        cancellable: Bool = true, budget: WaitBudget? = nil, _ body: (ConnectionIO) async throws -> T
    ) async throws -> T {
        let budget = budget ?? (cancellable ? queryBudget() : uncancellableBudget())
        try await lockForSending(cancellable: cancellable)
        defer { sendLock.unlock() }
        try await takeReadTurnWhileSending(cancellable: cancellable, budget: budget)
        defer { endRead() }
        do {
            return try await body(io)
        } catch {
            throw failExchange(error)
        }
    }

    /// With the send lock held: checks the connection is open, then waits until every earlier
    /// request has been answered, so the caller may both write and read. End with ``endRead()``.
    func takeReadTurnWhileSending(cancellable: Bool, budget: WaitBudget) async throws {
        guard !closedFlag.load(ordering: .acquiring), !io.socket.isShutDown else {
            throw PGError(.closed, "the connection is closed")
        }
        let ticket = readQueue.take()
        if cancellable {
            try await readQueue.waitForTurn(ticket, requestSent: false)
        } else {
            await readQueue.waitForTurn(ticket)
        }
        io.cancellable = cancellable
        io.budget = budget
        if readQueue.hasOwedDrain { try await settleOrEndRead() }
    }

    /// Takes the send lock; a cancellable exchange stops waiting for it when its task is cancelled.
    func lockForSending(cancellable: Bool) async throws {
        if sendLock.tryLock() { return }
        if cancellable {
            try await sendLock.lockUnlessCancelled()
        } else {
            await sendLock.lock()
        }
    }

    /// Writes one request while holding the send lock; returns its read ticket.
    private func write(
        deadline: ContinuousClock.Instant?, _ encode: (inout FrontendMessageEncoder) throws -> Void
    ) async throws -> UInt64 {
        guard !closedFlag.load(ordering: .acquiring), !io.socket.isShutDown else {
            throw PGError(.closed, "the connection is closed")
        }
        io.encoder.reset()
        try encode(&io.encoder)
        do {
            try await io.flushPipelined(deadline: deadline)
        } catch {
            throw failExchange(error)
        }
        return readQueue.take()
    }

    /// The budget of an exchange starting now: the scope's timeout
    /// (``withQueryTimeout(_:_:)``), else ``Configuration/queryTimeout``.
    func queryBudget() -> WaitBudget {
        guard let limit = Self.scopedQueryTimeout ?? configuration.queryTimeout else {
            return WaitBudget(unboundedWithGrace: configuration.cancelGrace)
        }
        return WaitBudget(purpose: .query(limit), grace: configuration.cancelGrace, now: .now)
    }

    /// The budget of an exchange that must not be cancelled (COMMIT, LISTEN bookkeeping): the
    /// same timeout, but past it the connection is closed, with no CancelRequest that could
    /// outlive the exchange and hit the next statement.
    func uncancellableBudget() -> WaitBudget {
        guard let limit = Self.scopedQueryTimeout ?? configuration.queryTimeout else { return .unbounded }
        return WaitBudget(purpose: .closeAfter(limit), grace: configuration.cancelGrace, now: .now)
    }

    /// A server error that ends the current exchange, as the caller should see it: the
    /// server's answer to our own timeout's CancelRequest becomes ``PGError/Code/timeout``.
    /// Only with the read turn held.
    func serverError(_ fields: [PGServerField: String]) -> PGError {
        io.budget.interpret(PGError.server(fields))
    }

    /// A pipelined request/answer pair: send, then read the answer with `read`.
    func exchange<T>(
        cancellable: Bool = true, encode: (inout FrontendMessageEncoder) throws -> Void,
        read: (ConnectionIO) async throws -> T
    ) async throws -> T {
        try await send(cancellable: cancellable, encode)
        defer { endRead() }
        do {
            return try await read(io)
        } catch {
            throw failExchange(error)
        }
    }

    /// Ends the read turn taken by ``send(cancellable:_:)`` or ``exclusive(cancellable:_:)``.
    /// Notifications that arrived right behind the answer are taken first: nobody else may read
    /// them soon (the idle watcher sleeps on the socket, and these bytes are no longer there).
    func endRead() {
        if notificationHub.isActive.load(ordering: .relaxed), io.decoder.nextMessageType != nil {
            takeBufferedAsynchronousMessages()
        }
        readQueue.advance()
    }

    /// Decides what a failed exchange means for the connection and returns the error to throw.
    /// Server errors and rejected arguments leave it usable; anything else breaks it: the socket
    /// is shut down (not closed, as other tasks may still hold its descriptor) so every other
    /// exchange fails promptly too.
    func failExchange(_ error: any Error) -> any Error {
        if let error = error as? PGError, Self.leavesConnectionUsable(error) { return error.thrownForm }
        let closedByUs = closedFlag.exchange(true, ordering: .acquiringAndReleasing)
        io.socket.shutdown()
        let listenerError = (error as? PGError).map {
            PGError($0.code, "notifications may have been missed: \($0.message)", serverFields: $0.serverFields)
        } ?? PGError(.connectionFailed, "notifications may have been missed: the connection failed: \(error)")
        notificationHub.failAll(listenerError)
        stopNotificationWatcher()
        if closedByUs, let error = error as? PGError, error.code == .serverClosedConnection {
            return PGError(.closed, "the connection was closed while an operation was running")
        }
        if let error = error as? PGError { return error.thrownForm }
        return error
    }

    /// The next message that is not asynchronous: ParameterStatus, NoticeResponse and
    /// NotificationResponse may arrive at any time and are handled here. A FATAL or PANIC
    /// ErrorResponse means the server is about to close the connection; it is thrown at once.
    func receive(_ io: ConnectionIO) async throws -> BackendMessage {
        while true {
            // Most answers arrive in one read: take what is buffered without another async call.
            if let message = try nextBuffered(io) { return message }
            _ = try await io.readMore()
        }
    }

    /// The next buffered message that is not asynchronous (see ``receive(_:)``), or nil when
    /// more bytes must be read first. Synchronous, for the hot paths.
    func nextBuffered(_ io: ConnectionIO) throws -> BackendMessage? {
        while let message = try io.decoder.next() {
            switch message {
            case .parameterStatus, .noticeResponse, .notificationResponse:
                try handleAsynchronous(message)
            case .commandComplete(let tag) where tag == "DISCARD ALL" || tag == "DEALLOCATE ALL":
                // The server dropped every prepared statement of the session.
                statementCache.removeAll()
                return message
            case .errorResponse(let fields) where Self.isFatal(fields):
                let message = fields[.message] ?? "server reported a fatal error"
                throw PGError(.serverClosedConnection, "server closed the connection: \(message)", serverFields: fields)
            default:
                return message
            }
        }
        return nil
    }

    /// Handles a message the server may send at any time: ParameterStatus, NoticeResponse or
    /// NotificationResponse. Synchronous and short: it runs inside whichever exchange read it.
    func handleAsynchronous(_ message: BackendMessage) throws {
        switch message {
        case .parameterStatus(let name, let value):
            let limit = configuration.limits.maxServerParameters
            let kept = shared.withLock { state -> Bool in
                guard state.parameters[name] != nil || state.parameters.count < limit else { return false }
                state.parameters[name] = value
                return true
            }
            if !kept {
                throw PGError(
                    .protocolViolation,
                    "the server reported more than \(limit) run-time parameters (Configuration.limits.maxServerParameters)")
            }
        case .noticeResponse(let fields):
            noticeHandler(PGNotice(fields: fields))
        case .notificationResponse(let notification):
            logger.trace("notification received", metadata: ["channel": "\(notification.channel)"])
            // A listener that fell behind was ended by this delivery; UNLISTEN if it was the last.
            if notificationHub.deliver(notification) { scheduleReconcile(notification.channel) }
        default:
            break
        }
    }

    /// Server errors, rejected arguments and undecodable values leave the session in step, and
    /// so does a timeout or cancellation that the server answered with its own error.
    private static func leavesConnectionUsable(_ error: PGError) -> Bool {
        switch error.code {
        case .server, .invalidArgument, .decoding: return true
        case .timeout, .cancelled: return error.sqlState == PGSQLState.queryCanceled
        default: return false
        }
    }

    private static func isFatal(_ fields: [PGServerField: String]) -> Bool {
        let severity = fields[.severity] ?? fields[.localizedSeverity]
        return severity == "FATAL" || severity == "PANIC"
    }

    /// Records a ReadyForQuery's transaction status.
    func ready(_ status: PGTransactionStatus) {
        shared.withLock { $0.transactionStatus = status }
    }
}
