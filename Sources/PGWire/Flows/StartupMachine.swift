/// The startup phase after the StartupMessage: authentication, then BackendKeyData and
/// ParameterStatus, up to the first ReadyForQuery. ParameterStatus and notices are taken by the
/// driver before messages reach here.
struct StartupMachine: FlowMachine {
    enum Action: Equatable {
        /// Send this authentication response.
        case respond(AuthenticationFlow.Response)
        /// Nothing to do; read on.
        case read
        /// Startup is over: the session is ready.
        case ready(PGTransactionStatus)
    }

    private var authentication: AuthenticationFlow
    private(set) var backendKeyData: PGBackendKeyData?
    private(set) var negotiation: PGProtocolNegotiation?
    private(set) var isFinished = false

    init(authentication: AuthenticationFlow) {
        self.authentication = authentication
    }

    /// How the server had us authenticate.
    var method: PGAuthenticationMethod { authentication.method }

    mutating func end() { isFinished = true }

    mutating func step(_ message: BackendMessage) throws -> Action {
        switch message {
        case .authentication(let request):
            guard !authentication.isAuthenticated else {
                throw protocolViolation(message, "after AuthenticationOk")
            }
            guard let response = try authentication.respond(to: request) else { return .read }
            return .respond(response)
        case .negotiateProtocolVersion(let value):
            guard negotiation == nil, !authentication.isAuthenticated else {
                throw protocolViolation(message, "twice or after authentication")
            }
            negotiation = value
            return .read
        case .backendKeyData(let key):
            guard authentication.isAuthenticated, backendKeyData == nil else {
                throw protocolViolation(message, "before AuthenticationOk or twice")
            }
            backendKeyData = key
            return .read
        case .errorResponse(let fields):
            throw PGError.server(fields)
        case .readyForQuery(let status):
            guard authentication.isAuthenticated else {
                throw PGError(.protocolViolation, "server sent ReadyForQuery before AuthenticationOk")
            }
            isFinished = true
            return .ready(status)
        default:
            throw protocolViolation(message, "during startup")
        }
    }
}
