import Logging
import Synchronization

extension PGConnection {
    /// The startup phase: StartupMessage, then ``StartupMachine`` decides every step up to
    /// the first ReadyForQuery.
    func startup(_ io: ConnectionIO) async throws {
        try io.encoder.startup(
            user: configuration.user, database: configuration.database,
            parameters: configuration.startupParameters)
        try await io.flush()
        var machine = StartupMachine(authentication: AuthenticationFlow(
            user: configuration.user, password: server.password ?? configuration.password,
            requirement: configuration.requireAuth, maxSCRAMIterations: configuration.limits.maxSCRAMIterations,
            channelBinding: configuration.channelBinding, tlsEndPoint: try io.socket.tls?.peerCertificateHash()))
        while true {
            let message: BackendMessage
            do {
                message = try await receive(io)
            } catch let error as PGError where error.code == .serverClosedConnection && !error.serverFields.isEmpty {
                // Startup failures (wrong password, unknown database, pg_hba rejection) are FATAL
                // errors: they end the session by design, so report them as the server errors they are.
                throw PGError.server(error.serverFields)
            }
            switch try machine.receive(message) {
            case .read:
                continue
            case .respond(let response):
                switch response {
                case .password(let password):
                    try io.encoder.password(password)
                case .saslInitialResponse(let mechanism, let data):
                    try io.encoder.saslInitialResponse(mechanism: mechanism, initialResponse: data)
                case .saslResponse(let data):
                    io.encoder.saslResponse(data)
                }
                try await io.flush()
            case .ready(let status):
                if let negotiation = machine.negotiation {
                    // The server speaks an older minor version or ignores some _pq_ options; 3.0
                    // is all we request, so this is informational.
                    logger.debug("server negotiated protocol version", metadata: [
                        "minor": "\(negotiation.newestMinorVersion)",
                        "unrecognized": "\(negotiation.unrecognizedOptions)",
                    ])
                }
                let method = machine.method
                let key = machine.backendKeyData
                let negotiation = machine.negotiation
                shared.withLock { state in
                    state.authenticationMethod = method
                    state.backendKeyData = key
                    state.protocolNegotiation = negotiation
                }
                ready(status)
                return
            }
        }
    }

    /// Records how an exchange ended and throws the server's error if it reported one.
    func finish(_ end: ExchangeEnd) throws {
        ready(end.status)
        if let fields = end.error { throw serverError(fields) }
    }
}
