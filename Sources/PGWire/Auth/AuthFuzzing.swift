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

    public static func base64Encode(_ bytes: [UInt8]) -> [UInt8] { Base64.encodedBytes(bytes) }

    public static func base64Decode(_ text: [UInt8]) -> [UInt8]? { Base64.decode(bytes: text) }
}
