/// The client side of SCRAM-SHA-256 (RFC 5802 with RFC 7677's SHA-256), as PostgreSQL uses it
/// for `AuthenticationSASL`. A value-type state machine with no I/O: the connection sends what
/// the methods return and feeds in what the server answers.
///
/// ```
/// var scram = try SCRAMSHA256Client(password: password)
/// send SASLInitialResponse(SCRAMSHA256Client.mechanism, try scram.clientFirstMessage())
/// on AuthenticationSASLContinue(data): send SASLResponse(try scram.receiveServerFirst(data))
/// on AuthenticationSASLFinal(data):    try scram.receiveServerFinal(data)
/// on AuthenticationOk:                 require scram.isComplete
/// ```
///
/// Every misuse (a step out of order or repeated) and every bad server message throws a
/// ``PGError`` with code ``PGError/Code/authentication``; nothing traps. After a thrown error the
/// exchange is over and every further step throws. ``clientFirstMessage()`` cannot fail, so it
/// does not throw: calling it out of order ends the exchange, and the next step throws.
///
/// As PostgreSQL does, the client-first-message carries an empty user name (`n=`): the server
/// takes the user from the startup message and ignores this one. The password is prepared with
/// ``SASLprep`` (falling back to its raw UTF-8 bytes, as PostgreSQL and libpq do).
///
/// Channel binding (``Binding``): with SCRAM-SHA-256-PLUS the GS2 header is
/// `p=tls-server-end-point,,` and `c=` carries it with the server certificate's hash, so a
/// man in the middle who terminates TLS cannot relay the exchange; `y,,` says the client could
/// bind but the server offered no `-PLUS` mechanism (so a downgrade is detected by a server
/// that does offer it); `n,,` that the client cannot bind (no TLS).
///
/// The description and mirror show only the state, never the password or keys.
struct SCRAMSHA256Client: Sendable, CustomStringConvertible, CustomReflectable {
    /// The SASL mechanism name to send in SASLInitialResponse.
    static let mechanism = "SCRAM-SHA-256"
    /// The mechanism with channel binding.
    static let plusMechanism = "SCRAM-SHA-256-PLUS"

    /// What the client says about channel binding (the GS2 header's flag).
    enum Binding: Sendable, Equatable {
        /// `n`: the client does not support it (no TLS, or channel_binding=disable).
        case unsupported
        /// `y`: the client supports it but the server offered no `-PLUS` mechanism.
        case supportedNotUsed
        /// `p=tls-server-end-point`: bound to the server certificate with this hash.
        case endPoint([UInt8])
    }

    /// The largest iteration count (`i=`) accepted from the server.
    ///
    /// The server chooses the count and the client pays for it in CPU time, so without a cap a
    /// malicious or broken server could keep the client busy for hours (up to 2^31 iterations).
    /// PostgreSQL's default is 4096 (`scram_iterations`), under 1 ms; the cap of 10 million
    /// costs about 2 s of CPU with OpenSSL on a current x86 core, 2,400 times the default and
    /// far above any sane setting. A count below 1 is rejected too.
    static let maxIterations = 10_000_000

    private enum State: Sendable {
        /// Nothing sent yet.
        case initial
        /// The client-first-message was sent; its bare part is part of the AuthMessage.
        case waitingForServerFirst(clientFirstBare: [UInt8])
        /// The client-final-message was sent; the server must prove it knows the password.
        case waitingForServerFinal(serverSignature: [UInt8])
        /// The server's signature was verified.
        case complete
        /// A step threw or was misused (the reason); the exchange cannot continue.
        case failed(String)
    }

    private var state: State = .initial
    /// The password after SASLprep (or its raw UTF-8 bytes).
    private let password: [UInt8]
    private let clientNonce: [UInt8]
    /// The highest iteration count this exchange computes (at most ``maxIterations``).
    private let iterationLimit: Int
    /// The `saslname` of the client-first-message, already escaped.
    private let username: [UInt8]

    private let binding: Binding

    /// The GS2 header (no authzid): `n,,`, `y,,` or `p=tls-server-end-point,,`.
    private var gs2Header: [UInt8] {
        switch binding {
        case .unsupported: return Array("n,,".utf8)
        case .supportedNotUsed: return Array("y,,".utf8)
        case .endPoint: return Array("p=tls-server-end-point,,".utf8)
        }
    }
    /// The channel binding data sent (base64, after the GS2 header) in `c=`; none without binding.
    private var channelBindingData: [UInt8] {
        if case .endPoint(let hash) = binding { return hash }
        return []
    }

    /// Creates a client for one authentication exchange.
    ///
    /// - Parameters:
    ///   - password: The password; SASLprep is applied here.
    ///   - clientNonce: The client nonce, for tests only; by default 24 random bytes in base64.
    ///     It must be printable ASCII without commas.
    ///   - username: The user name of the client-first-message, for tests only (RFC vectors
    ///     use one; PostgreSQL ignores it, so the default is empty as in libpq).
    init(
        password: String, clientNonce: String? = nil, username: String = "", maxIterations: Int = maxIterations,
        binding: Binding = .unsupported
    ) throws {
        self.binding = binding
        self.password = SASLprep.passwordBytes(password)
        self.iterationLimit = min(maxIterations, Self.maxIterations)
        if let clientNonce {
            let bytes = Array(clientNonce.utf8)
            guard !bytes.isEmpty, bytes.allSatisfy(Self.isNonceCharacter) else {
                throw PGError(
                    .authentication, "SCRAM client nonce must be printable ASCII without commas")
            }
            self.clientNonce = bytes
        } else {
            self.clientNonce = Base64.encodedBytes(try Crypto.randomBytes(count: 24))
        }
        var escaped: [UInt8] = []
        for byte in username.utf8 {
            switch byte {
            case UInt8(ascii: "="): escaped += Array("=3D".utf8)
            case UInt8(ascii: ","): escaped += Array("=2C".utf8)
            default: escaped.append(byte)
            }
        }
        self.username = escaped
    }

    /// Whether the server's final message was verified. The connection must not accept
    /// AuthenticationOk after SASL unless this is true, or a server that skips its proof would
    /// be trusted without knowing the password.
    var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// The client-first-message, `n,,n=,r=<nonce>`, for SASLInitialResponse.
    ///
    /// Called a second time (or after a later step) it returns the same message but ends the
    /// exchange: the next step throws, naming this misuse.
    mutating func clientFirstMessage() -> [UInt8] {
        let bare = Array("n=".utf8) + username + Array(",r=".utf8) + clientNonce
        if case .initial = state {
            state = .waitingForServerFirst(clientFirstBare: bare)
        } else {
            state = .failed("clientFirstMessage() was called out of order (state: \(stateName))")
        }
        return gs2Header + bare
    }

    /// Takes the server-first-message (AuthenticationSASLContinue) and returns the
    /// client-final-message, `c=biws,r=<nonce>,p=<proof>`, for SASLResponse.
    mutating func receiveServerFirst(_ message: [UInt8]) throws -> [UInt8] {
        guard case .waitingForServerFirst(let clientFirstBare) = state else {
            throw misuse("receiveServerFirst(_:)")
        }
        state = .failed("receiveServerFirst(_:) threw")
        let first = try SCRAMServerFirst(message, clientNonce: clientNonce)
        guard first.iterations <= iterationLimit else {
            throw PGError(
                .authentication,
                "SCRAM iteration count from the server (\(first.iterations)) is above the configured limit of \(iterationLimit)")
        }

        let saltedPassword = try Crypto.pbkdf2SHA256(
            password: password, salt: first.salt, iterations: first.iterations)
        let clientKey = try Crypto.hmacSHA256(key: saltedPassword, data: Array("Client Key".utf8))
        let storedKey = try Crypto.sha256(clientKey)
        let serverKey = try Crypto.hmacSHA256(key: saltedPassword, data: Array("Server Key".utf8))

        let withoutProof =
            Array("c=".utf8) + Base64.encodedBytes(gs2Header + channelBindingData)
            + Array(",r=".utf8) + first.nonce
        let authMessage =
            clientFirstBare + [UInt8(ascii: ",")] + message + [UInt8(ascii: ",")] + withoutProof
        let clientSignature = try Crypto.hmacSHA256(key: storedKey, data: authMessage)
        let clientProof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverSignature = try Crypto.hmacSHA256(key: serverKey, data: authMessage)

        state = .waitingForServerFinal(serverSignature: serverSignature)
        return withoutProof + Array(",p=".utf8) + Base64.encodedBytes(clientProof)
    }

    /// Takes the server-final-message (AuthenticationSASLFinal) and checks the server's
    /// signature, proving that the server knows the password too.
    mutating func receiveServerFinal(_ message: [UInt8]) throws {
        guard case .waitingForServerFinal(let expected) = state else {
            throw misuse("receiveServerFinal(_:)")
        }
        state = .failed("receiveServerFinal(_:) threw")
        let attributes = try SCRAMAttribute.parse(message, "server-final-message")
        switch attributes[0].name {
        case UInt8(ascii: "e"):
            throw SCRAMAttribute.serverError(attributes[0].value)
        case UInt8(ascii: "v"):
            guard let signature = Base64.decode(bytes: attributes[0].value),
                signature.count == Crypto.sha256Length
            else {
                throw PGError(
                    .authentication,
                    "malformed SCRAM server-final-message: invalid server signature")
            }
            guard Crypto.constantTimeEqual(signature, expected) else {
                throw PGError(
                    .authentication,
                    "SCRAM server signature mismatch: the server did not prove that it knows"
                        + " the password"
                )
            }
            state = .complete
        default:
            throw PGError(
                .authentication, "malformed SCRAM server-final-message: expected v= or e=")
        }
    }

    var description: String { "SCRAMSHA256Client(state: \(stateName))" }

    var customMirror: Mirror { Mirror(self, children: ["state": stateName]) }

    private var stateName: String {
        switch state {
        case .initial: "initial"
        case .waitingForServerFirst: "waitingForServerFirst"
        case .waitingForServerFinal: "waitingForServerFinal"
        case .complete: "complete"
        case .failed(let reason): "failed: \(reason)"
        }
    }

    private func misuse(_ step: String) -> PGError {
        PGError(.authentication, "SCRAM step \(step) called out of order (state: \(stateName))")
    }

    /// `printable` of RFC 5802: 0x21 to 0x7E except the comma.
    static func isNonceCharacter(_ byte: UInt8) -> Bool {
        byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: ",")
    }
}
