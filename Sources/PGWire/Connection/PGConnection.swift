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
        var transactionStatus = TransactionStatus.idle
        var backendKeyData: BackendKeyData?
        var protocolNegotiation: NegotiateProtocolVersion?
        var authenticationMethod = AuthenticationMethod.trust
        var closed = false
        /// Numbers the named prepared statements of this session.
        var statementCounter = 0
        /// True while an exchange runs (a CancelRequest then has something to cancel).
        var busy = false
    }

    /// The settings this connection was opened with.
    public let configuration: Configuration
    let logger: Logger
    let noticeHandler: NoticeHandler
    let shared = Mutex(Shared())
    let exchangeLock = ExchangeLock()
    /// Touched only while `exchangeLock` is held (see ``ConnectionIO``).
    let io: ConnectionIO

    /// The server of ``Configuration/servers`` this connection reached.
    public let server: Configuration.Server

    private init(
        configuration: Configuration, server: Configuration.Server, socket: Socket, logger: Logger,
        noticeHandler: NoticeHandler?
    ) {
        self.configuration = configuration
        self.server = server
        self.logger = logger
        self.io = ConnectionIO(socket: socket, limits: configuration.messageLimits, readSpin: configuration.readSpin)
        self.noticeHandler = noticeHandler ?? { [logger] notice in
            logger.debug("server notice", metadata: [
                "severity": "\(notice.severity)", "sqlstate": "\(notice.sqlState ?? "")", "message": "\(notice.message)",
            ])
        }
        io.onCancel = { [weak self] in self?.cancelInBackground() }
    }

    /// Opens a connection: connects the socket, sends the startup message, authenticates
    /// (trust, cleartext, MD5 or SCRAM-SHA-256) and waits until the server is ready for queries.
    ///
    /// With several ``Configuration/servers``, they are tried in order, as libpq does: a server
    /// that cannot be reached, or whose session does not match
    /// ``Configuration/targetSessionAttributes``, is skipped; an authentication failure ends the
    /// attempt at once.
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
        guard !configuration.servers.isEmpty else {
            throw PGError(.invalidConfiguration, "no server to connect to")
        }
        // TLS is not implemented yet: modes that allow plaintext connect in plaintext; modes
        // that demand TLS must fail rather than silently send data in the clear.
        if [.require, .verifyCA, .verifyFull].contains(configuration.tls.mode) {
            throw PGError(
                .tlsFailed, "sslmode=\(configuration.tls.mode.rawValue) requires TLS, which this version of PGWire does not support yet")
        }
        let attributes = configuration.targetSessionAttributes
        // prefer-standby: a first pass accepts only standbys, a second pass anything.
        let passes: [Configuration.TargetSessionAttributes] =
            attributes == .preferStandby ? [.standby, .any] : [attributes]
        var failures: [PGError] = []
        for wanted in passes {
            for server in configuration.servers {
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
        let socket = try await Socket.connect(to: server.endpoint, timeout: configuration.connectTimeout)
        let connection = PGConnection(
            configuration: configuration, server: server, socket: socket, logger: logger, noticeHandler: noticeHandler)
        do {
            try await connection.exchange(cancellable: false) { io in try await connection.startup(io) }
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
    public var transactionStatus: TransactionStatus { shared.withLock { $0.transactionStatus } }

    /// The backend's process id and cancel key (BackendKeyData).
    public var backendKeyData: BackendKeyData? { shared.withLock { $0.backendKeyData } }

    /// The backend's process id, as in `pg_backend_pid()`.
    public var processID: Int32? { backendKeyData?.processID }

    /// The server's NegotiateProtocolVersion answer, if it sent one.
    public var protocolNegotiation: NegotiateProtocolVersion? { shared.withLock { $0.protocolNegotiation } }

    /// How this connection authenticated.
    public var authenticationMethod: AuthenticationMethod { shared.withLock { $0.authenticationMethod } }

    /// True once ``close()`` was called or the connection broke.
    public var isClosed: Bool { shared.withLock { $0.closed } }

    // MARK: Closing

    /// Sends Terminate and closes the socket. Harmless when already closed. An exchange still
    /// running on another task is interrupted and fails with ``PGError/Code/closed``.
    public func close() async {
        let wasOpen = shared.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard wasOpen || !io.socket.isClosed else { return }
        if !exchangeLock.tryLock() {
            // Someone is mid-exchange (perhaps a long query): break the socket so it ends now.
            Sys.shutdown(io.socket.fd)
            await exchangeLock.lock()
        }
        defer { exchangeLock.unlock() }
        guard !io.socket.isClosed else { return }
        io.encoder.reset()
        io.encoder.terminate()
        try? await io.flush()
        io.socket.close()
        logger.debug("connection closed")
    }

    // MARK: Exchanges

    /// Runs one protocol exchange with exclusive use of the socket. A failure that leaves the
    /// protocol stream in an unknown state (I/O error, malformed message, server gone) closes
    /// the connection; a server ErrorResponse or a bad argument does not.
    ///
    /// When `cancellable`, cancelling the calling task while it waits for the server sends a
    /// CancelRequest, so the running statement ends with SQLSTATE 57014 and the connection stays
    /// usable. (The handler is installed only around waits that suspend, see ``Socket/read``:
    /// installing one per call would move every call off the caller's actor and back.)
    func exchange<T>(cancellable: Bool = true, _ body: (ConnectionIO) async throws -> T) async throws -> T {
        try await beginExchange(cancellable: cancellable)
        defer { endExchange() }
        do {
            return try await body(io)
        } catch {
            throw failExchange(error)
        }
    }

    /// Takes the exchange lock and checks the connection is open. Pair with ``endExchange()``.
    func beginExchange(cancellable: Bool = true) async throws {
        await exchangeLock.lock()
        io.cancellable = cancellable
        let open = shared.withLock { state -> Bool in
            if state.closed { return false }
            state.busy = true
            return true
        }
        if !open || io.socket.isClosed {
            exchangeLock.unlock()
            throw PGError(.closed, "the connection is closed")
        }
    }

    /// Releases the exchange lock taken by ``beginExchange()``.
    func endExchange() {
        shared.withLock { $0.busy = false }
        exchangeLock.unlock()
    }

    /// Decides what a failed exchange means for the connection and returns the error to throw.
    /// Server errors and rejected arguments leave it usable; anything else closes it.
    func failExchange(_ error: any Error) -> any Error {
        if let error = error as? PGError,
            error.code == .server || error.code == .invalidArgument || error.code == .decoding
        {
            return error
        }
        let closedByUs = shared.withLock { state -> Bool in
            defer { state.closed = true }
            return state.closed
        }
        io.socket.close()
        if closedByUs, let error = error as? PGError, error.code == .serverClosedConnection {
            return PGError(.closed, "the connection was closed while an operation was running")
        }
        return error
    }

    /// The next message that is not asynchronous: ParameterStatus, NoticeResponse and
    /// NotificationResponse may arrive at any time and are handled here. A FATAL or PANIC
    /// ErrorResponse means the server is about to close the connection; it is thrown at once.
    func receive(_ io: ConnectionIO) async throws -> BackendMessage {
        while true {
            let message = try await io.receive()
            switch message {
            case .parameterStatus(let name, let value):
                shared.withLock { $0.parameters[name] = value }
            case .noticeResponse(let fields):
                noticeHandler(PGNotice(fields: fields))
            case .notificationResponse(let notification):
                logger.debug("notification received", metadata: ["channel": "\(notification.channel)"])
            case .errorResponse(let fields) where Self.isFatal(fields):
                let message = fields[.message] ?? "server reported a fatal error"
                throw PGError(.serverClosedConnection, "server closed the connection: \(message)", serverFields: fields)
            default:
                return message
            }
        }
    }

    private static func isFatal(_ fields: [ServerField: String]) -> Bool {
        let severity = fields[.severity] ?? fields[.localizedSeverity]
        return severity == "FATAL" || severity == "PANIC"
    }

    /// Records a ReadyForQuery's transaction status.
    func ready(_ status: TransactionStatus) {
        shared.withLock { $0.transactionStatus = status }
    }
}
