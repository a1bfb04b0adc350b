/// Entry points for fuzzers into the SCRAM parsers and Base64, which are internal.
///
/// Import with `@_spi(Fuzzing) import PGWire`. Nothing here traps on any input; a rejected
/// message is a thrown ``PGError``, as in a real exchange.
@_spi(Fuzzing)
public enum PGAuthFuzzing {
    /// The content of a server-first-message that the client accepted.
    public struct ServerFirst: Sendable, Equatable {
        public var nonce: [UInt8]
        public var salt: [UInt8]
        public var iterations: Int
    }

    /// The largest iteration count the client accepts.
    public static var maxIterations: Int { SCRAMSHA256Client.maxIterations }

    /// Parses and checks a server-first-message as the client does, without deriving keys.
    public static func parseServerFirst(_ message: [UInt8], clientNonce: [UInt8]) throws -> ServerFirst {
        let first = try SCRAMServerFirst(message, clientNonce: clientNonce)
        return ServerFirst(nonce: first.nonce, salt: first.salt, iterations: first.iterations)
    }

    /// Runs a whole client exchange: the client-first-message, then `serverFirst`, then (if that
    /// was accepted) `serverFinal`. Returns the client-final-message and whether the server's
    /// signature was verified; throws what the client throws.
    public static func exchange(
        password: String, clientNonce: String, serverFirst: [UInt8], serverFinal: [UInt8]
    ) throws -> (clientFinal: [UInt8], isComplete: Bool) {
        var client = try SCRAMSHA256Client(password: password, clientNonce: clientNonce)
        _ = client.clientFirstMessage()
        let clientFinal = try client.receiveServerFirst(serverFirst)
        try client.receiveServerFinal(serverFinal)
        return (clientFinal, client.isComplete)
    }

    /// What the TLS negotiation and a SCRAM exchange under channel binding did with one input.
    public struct BindingOutcome: Sendable, Equatable {
        /// The SSLRequest answer byte was accepted ('S', 'N' or 'E').
        public var answerAccepted: Bool
        /// The mechanism the client chose, if it started SASL.
        public var mechanism: String?
        /// The GS2 header the client sent, if it did.
        public var gs2Header: String?
        /// The server was authenticated (AuthenticationOk accepted).
        public var authenticated: Bool
        /// The channel_binding mode and whether TLS was on, as the input chose them.
        public var mode: String? = nil
        public var tls = false
    }

    /// Input layout: the SSLRequest answer byte; a flags byte (binding mode = flags % 3:
    /// disable, prefer, require; TLS on when bit 2 is set); then the SASL mechanism list
    /// (comma-separated), the server-first- and the server-final-message, separated by 0 bytes.
    /// Runs the answer's parser and the client's side of the exchange (iterations capped at
    /// 4,096 so an input cannot take seconds); never traps.
    public static func channelBinding(_ input: [UInt8]) -> BindingOutcome {
        var outcome = BindingOutcome(answerAccepted: false, mechanism: nil, gs2Header: nil, authenticated: false)
        guard let answer = input.first else { return outcome }
        outcome.answerAccepted = (try? SSLRequestAnswer(answer)) != nil
        guard input.count >= 2 else { return outcome }
        let modes = PGConnection.Configuration.ChannelBinding.allCases
        let mode = modes[Int(input[1]) % modes.count]
        let tls = input[1] & 4 != 0
        outcome.mode = mode.rawValue
        outcome.tls = tls
        let parts = input.dropFirst(2).split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        let mechanisms = parts.first.map { String(decoding: $0, as: UTF8.self).split(separator: ",").map(String.init) } ?? []
        var flow = AuthenticationFlow(
            user: "u", password: "pw", scramNonce: "fuzznonce", maxSCRAMIterations: 4_096, channelBinding: mode,
            tlsEndPoint: tls ? [UInt8](repeating: 7, count: 32) : nil)
        do {
            if case .saslInitialResponse(let mechanism, let data) = try flow.respond(to: .sasl(mechanisms: mechanisms)) {
                outcome.mechanism = mechanism
                // The GS2 header runs up to and including the first ",,".
                if let end = data.indices.first(where: { data[$0] == UInt8(ascii: ",") && $0 + 1 < data.count && data[$0 + 1] == UInt8(ascii: ",") }) {
                    outcome.gs2Header = String(decoding: data[...(end + 1)], as: UTF8.self)
                }
            }
            if parts.count > 1 { _ = try flow.respond(to: .saslContinue(Array(parts[1]))) }
            if parts.count > 2 { _ = try flow.respond(to: .saslFinal(Array(parts[2]))) }
            _ = try flow.respond(to: .ok)
            outcome.authenticated = flow.isAuthenticated
        } catch {}
        return outcome
    }

    public static func base64Encode(_ bytes: [UInt8]) -> [UInt8] { Base64.encodedBytes(bytes) }

    public static func base64Decode(_ text: [UInt8]) -> [UInt8]? { Base64.decode(bytes: text) }
}
