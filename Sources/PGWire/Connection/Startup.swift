import Logging
import Synchronization

extension PGConnection {
    /// The startup phase: StartupMessage, authentication, then ParameterStatus and
    /// BackendKeyData until the first ReadyForQuery.
    func startup(_ io: ConnectionIO) async throws {
        try io.encoder.startup(
            user: configuration.user, database: configuration.database,
            parameters: configuration.startupParameters)
        try await io.flush()
        var authentication = AuthenticationFlow(
            user: configuration.user, password: server.password ?? configuration.password,
            requirement: configuration.requireAuth, maxSCRAMIterations: configuration.limits.maxSCRAMIterations)
        while true {
            let message: BackendMessage
            do {
                message = try await receive(io)
            } catch let error as PGError where error.code == .serverClosedConnection && !error.serverFields.isEmpty {
                // Startup failures (wrong password, unknown database, pg_hba rejection) are FATAL
                // errors: they end the session by design, so report them as the server errors they are.
                throw PGError.server(error.serverFields)
            }
            switch message {
            case .authentication(let request):
                guard let response = try authentication.respond(to: request) else { continue }
                switch response {
                case .password(let password):
                    try io.encoder.password(password)
                case .saslInitialResponse(let mechanism, let data):
                    try io.encoder.saslInitialResponse(mechanism: mechanism, initialResponse: data)
                case .saslResponse(let data):
                    io.encoder.saslResponse(data)
                }
                try await io.flush()
            case .backendKeyData(let key):
                shared.withLock { $0.backendKeyData = key }
            case .negotiateProtocolVersion(let negotiation):
                // The server speaks an older minor version or ignores some _pq_ options; 3.0 is
                // all we request, so this is informational.
                logger.debug("server negotiated protocol version", metadata: [
                    "minor": "\(negotiation.newestMinorVersion)",
                    "unrecognized": "\(negotiation.unrecognizedOptions)",
                ])
                shared.withLock { $0.protocolNegotiation = negotiation }
            case .errorResponse(let fields):
                throw PGError.server(fields)
            case .readyForQuery(let status):
                guard authentication.isAuthenticated else {
                    throw PGError(.protocolViolation, "server sent ReadyForQuery before AuthenticationOk")
                }
                let method = authentication.method
                shared.withLock { $0.authenticationMethod = method }
                ready(status)
                return
            default:
                throw PGError(.protocolViolation, "unexpected message during startup: \(message.kindName)")
            }
        }
    }
}
