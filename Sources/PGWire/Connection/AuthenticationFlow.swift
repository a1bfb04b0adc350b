/// Decides what to answer to each authentication request of the startup phase.
///
/// Pure: no I/O, so every path (including hostile servers) is unit-tested directly. It also
/// refuses an AuthenticationOk that arrives before a started SCRAM exchange proved the server
/// knows the password, which would otherwise let a fake server skip mutual authentication.
struct AuthenticationFlow {
    enum Response: Equatable {
        case password(String)
        case saslInitialResponse(mechanism: String, data: [UInt8])
        case saslResponse([UInt8])
    }

    private enum State {
        case waiting
        /// A cleartext or MD5 password went out; AuthenticationOk or an error follows.
        case passwordSent
        case scramStarted(SCRAMSHA256Client)
        case scramContinued(SCRAMSHA256Client)
        case scramVerified
        case done
    }

    private let user: String
    private let password: String?
    private let scramNonce: String?
    private let requirement: PGConnection.Configuration.AuthenticationRequirement
    private let maxSCRAMIterations: Int
    private let channelBinding: PGConnection.Configuration.ChannelBinding
    /// The server certificate's tls-server-end-point hash when the connection uses TLS.
    private let tlsEndPoint: [UInt8]?
    private var state = State.waiting

    /// `scramNonce` is for tests only; by default a random nonce is drawn. `requirement` is
    /// `require_auth`: a request it forbids fails before anything is sent.
    init(
        user: String, password: String?, scramNonce: String? = nil,
        requirement: PGConnection.Configuration.AuthenticationRequirement = .any,
        maxSCRAMIterations: Int = SCRAMSHA256Client.maxIterations,
        channelBinding: PGConnection.Configuration.ChannelBinding = .prefer, tlsEndPoint: [UInt8]? = nil
    ) {
        self.channelBinding = channelBinding
        self.tlsEndPoint = tlsEndPoint
        self.user = user
        self.password = password
        self.scramNonce = scramNonce
        self.requirement = requirement
        self.maxSCRAMIterations = maxSCRAMIterations
    }

    /// The method the server chose, once it asked (``PGAuthenticationMethod/trust`` until then).
    private(set) var method = PGAuthenticationMethod.trust

    /// True once the server said AuthenticationOk.
    var isAuthenticated: Bool {
        if case .done = state { return true }
        return false
    }

    /// What to send for `request`, or nil when nothing is to be sent.
    mutating func respond(to request: AuthenticationRequest) throws -> Response? {
        switch (request, state) {
        case (.ok, .waiting):
            try requirement.check(.none, request: "did not complete authentication")
            try refuseUnbound("authenticated the client without a password")
            state = .done
            return nil
        case (.ok, .passwordSent), (.ok, .scramVerified):
            state = .done
            return nil
        case (.ok, _):
            throw PGError(.authentication, "server sent AuthenticationOk before completing SCRAM authentication")
        case (.cleartextPassword, .waiting):
            try requirement.check(.password, request: "requested a cleartext password")
            try refuseUnbound("requested a cleartext password")
            method = .cleartextPassword
            let password = try requirePassword("password")
            state = .passwordSent
            return .password(password)
        case (.md5Password(let salt), .waiting):
            try requirement.check(.md5, request: "requested a hashed password")
            try refuseUnbound("requested a hashed password")
            method = .md5
            let password = try requirePassword("md5")
            state = .passwordSent
            return .password(try MD5Password.hash(user: user, password: password, salt: [salt.0, salt.1, salt.2, salt.3]))
        case (.sasl(let mechanisms), .waiting):
            try requirement.check(.scramSHA256, request: "requested SASL authentication")
            // SCRAM-SHA-256-PLUS when there is TLS to bind to and the server offers it.
            if channelBinding != .disable, let tlsEndPoint, mechanisms.contains(SCRAMSHA256Client.plusMechanism) {
                method = .scramSHA256Plus
                return try startSCRAM(mechanism: SCRAMSHA256Client.plusMechanism, binding: .endPoint(tlsEndPoint))
            }
            if channelBinding == .require {
                throw PGError(
                    .authentication,
                    tlsEndPoint == nil
                        ? "channel_binding=require, but the connection does not use TLS (SCRAM-SHA-256-PLUS binds to it)"
                        : "channel_binding=require, but the server offers \(mechanisms.joined(separator: ", ")), not SCRAM-SHA-256-PLUS")
            }
            guard mechanisms.contains(SCRAMSHA256Client.mechanism) else {
                throw PGError(
                    .unsupportedAuthentication,
                    "server offers SASL mechanisms \(mechanisms.joined(separator: ", ")), none of which is supported (SCRAM-SHA-256)")
            }
            method = .scramSHA256
            // `y`: we could bind (TLS) but the server offered no -PLUS: a server that does
            // offer it then knows someone removed it from the list.
            return try startSCRAM(
                mechanism: SCRAMSHA256Client.mechanism,
                binding: tlsEndPoint != nil && channelBinding != .disable ? .supportedNotUsed : .unsupported)
        case (.saslContinue(let data), .scramStarted(var client)):
            let final = try client.receiveServerFirst(data)
            state = .scramContinued(client)
            return .saslResponse(final)
        case (.saslFinal(let data), .scramContinued(var client)):
            try client.receiveServerFinal(data)
            state = .scramVerified
            return nil
        case (.gss, .waiting), (.gssContinue, .waiting):
            try requirement.check(.gss, request: "requested GSSAPI authentication")
            throw PGError(.unsupportedAuthentication, "server requested GSSAPI authentication, which is not supported")
        case (.sspi, .waiting):
            try requirement.check(.sspi, request: "requested SSPI authentication")
            throw PGError(.unsupportedAuthentication, "server requested SSPI authentication, which is not supported")
        case (.kerberosV5, _):
            throw PGError(.unsupportedAuthentication, "server requested Kerberos V5 authentication, which is not supported")
        case (.gss, _), (.gssContinue, _):
            throw PGError(.unsupportedAuthentication, "server requested GSSAPI authentication, which is not supported")
        case (.sspi, _):
            throw PGError(.unsupportedAuthentication, "server requested SSPI authentication, which is not supported")
        default:
            throw PGError(.protocolViolation, "unexpected authentication request \(Self.name(of: request)) at this point of the exchange")
        }
    }

    private mutating func startSCRAM(mechanism: String, binding: SCRAMSHA256Client.Binding) throws -> Response {
        var client = try SCRAMSHA256Client(
            password: try requirePassword(mechanism), clientNonce: scramNonce, maxIterations: maxSCRAMIterations, binding: binding)
        let first = client.clientFirstMessage()
        state = .scramStarted(client)
        return .saslInitialResponse(mechanism: mechanism, data: first)
    }

    /// channel_binding=require accepts only SCRAM-SHA-256-PLUS: every other way in (trust, a
    /// password) could be a man in the middle's.
    private func refuseUnbound(_ what: String) throws {
        guard channelBinding == .require else { return }
        throw PGError(.authentication, "channel_binding=require, but the server \(what) (no channel binding)")
    }

    private func requirePassword(_ method: String) throws -> String {
        guard let password else {
            throw PGError(
                .passwordRequired,
                "server requested \(method) authentication for user \"\(user)\", but no password was provided")
        }
        return password
    }

    private static func name(of request: AuthenticationRequest) -> String {
        switch request {
        case .ok: return "AuthenticationOk"
        case .kerberosV5: return "AuthenticationKerberosV5"
        case .cleartextPassword: return "AuthenticationCleartextPassword"
        case .md5Password: return "AuthenticationMD5Password"
        case .gss: return "AuthenticationGSS"
        case .gssContinue: return "AuthenticationGSSContinue"
        case .sspi: return "AuthenticationSSPI"
        case .sasl: return "AuthenticationSASL"
        case .saslContinue: return "AuthenticationSASLContinue"
        case .saslFinal: return "AuthenticationSASLFinal"
        }
    }
}

/// How the connection authenticated, as chosen by the server's pg_hba.conf.
@nonexhaustive
public enum PGAuthenticationMethod: String, Sendable, Equatable {
    /// No password was asked for (trust, peer, ident).
    case trust
    /// The password was sent in clear text (method `password`).
    case cleartextPassword = "password"
    /// The md5 challenge-response.
    case md5
    /// SCRAM-SHA-256 with mutual authentication.
    case scramSHA256 = "scram-sha-256"
    /// SCRAM-SHA-256-PLUS: SCRAM bound to the TLS channel (tls-server-end-point).
    case scramSHA256Plus = "scram-sha-256-plus"
}
