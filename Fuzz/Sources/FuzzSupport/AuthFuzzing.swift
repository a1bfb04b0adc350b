@_spi(Fuzzing) import PGWire

/// SCRAM-SHA-256's server messages and Base64.
public enum AuthFuzzing {
    /// The client nonce of RFC 7677's example.
    static let clientNonce = "fyko+d2lbbFgONRv9qkxdawL"
    static let password = "pencil"
    /// A valid server-first-message with one iteration, so that each run costs little.
    static let serverFirst = Array("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=1".utf8)

    /// The server-first-message: a message the client accepts must hold a nonce that extends the
    /// client's, a non-empty salt and an iteration count within the cap, and writing those back
    /// as `r=,s=,i=` must parse to the same. Accepted messages with few iterations then run
    /// through the whole client exchange.
    public static func serverFirst(_ input: [UInt8]) {
        let parsed: PGAuthFuzzing.ServerFirst
        do {
            parsed = try PGAuthFuzzing.parseServerFirst(input, clientNonce: Array(clientNonce.utf8))
        } catch {
            checkAuthenticationError(error)
            return
        }
        check(parsed.nonce.starts(with: clientNonce.utf8) && parsed.nonce.count > clientNonce.utf8.count, "nonce \(parsed.nonce)")
        check(!parsed.salt.isEmpty, "an empty salt")
        check((1...PGAuthFuzzing.maxIterations).contains(parsed.iterations), "\(parsed.iterations) iterations")
        let canonical = Array("r=".utf8) + parsed.nonce + Array(",s=".utf8) + PGAuthFuzzing.base64Encode(parsed.salt)
            + Array(",i=\(parsed.iterations)".utf8)
        let again = try? PGAuthFuzzing.parseServerFirst(canonical, clientNonce: Array(clientNonce.utf8))
        check(again == parsed, "the canonical form of an accepted server-first-message parses differently")

        guard parsed.iterations <= 16 else { return }
        do {
            let (clientFinal, complete) = try PGAuthFuzzing.exchange(
                password: password, clientNonce: clientNonce, serverFirst: input, serverFinal: Array("v=AAAA".utf8))
            fail("a wrong server signature was accepted: \(clientFinal), \(complete)")
        } catch {
            checkAuthenticationError(error)
        }
    }

    /// The server-final-message, after a fixed valid server-first-message: the client must
    /// never trap, and may complete only with the one right signature.
    public static func serverFinal(_ input: [UInt8]) {
        do {
            let (clientFinal, complete) = try PGAuthFuzzing.exchange(
                password: password, clientNonce: clientNonce, serverFirst: serverFirst, serverFinal: input)
            check(complete, "the exchange returned without completing")
            check(clientFinal.starts(with: "c=biws,r=".utf8), "client-final-message \(clientFinal)")
            check(input.starts(with: "v=".utf8), "completed without a v= attribute")
        } catch {
            checkAuthenticationError(error)
        }
    }

    /// Base64 is strict: whatever decodes must be exactly the encoding of what it decodes to;
    /// and any bytes, encoded, decode back to themselves.
    public static func base64(_ input: [UInt8]) {
        if let decoded = PGAuthFuzzing.base64Decode(input) {
            check(PGAuthFuzzing.base64Encode(decoded) == input, "base64 accepted a non-canonical text")
            check(decoded.count == input.count / 4 * 3 - input.suffix(2).filter { $0 == UInt8(ascii: "=") }.count, "length")
        }
        let encoded = PGAuthFuzzing.base64Encode(input)
        check(encoded.count == (input.count + 2) / 3 * 4, "base64 of \(input.count) bytes has \(encoded.count)")
        check(PGAuthFuzzing.base64Decode(encoded) == input, "base64 does not round-trip")
    }

    static func checkAuthenticationError(_ error: any Error) {
        guard let error = error as? PGError else { fail("SCRAM threw \(type(of: error)): \(error)") }
        check(error.code == .authentication, "SCRAM threw \(error)")
    }
}

extension AuthFuzzing {
    /// The SSLRequest answer and a SCRAM exchange under channel binding: never a trap, never
    /// a bound mechanism without TLS, never channel_binding=require satisfied without -PLUS.
    public static func channelBinding(_ input: [UInt8]) {
        let outcome = PGAuthFuzzing.channelBinding(input)
        if let first = input.first {
            check(outcome.answerAccepted == [UInt8(ascii: "S"), UInt8(ascii: "N"), UInt8(ascii: "E")].contains(first),
                  "SSLRequest answer byte \(first) accepted: \(outcome.answerAccepted)")
        }
        if outcome.mechanism == "SCRAM-SHA-256-PLUS" {
            check(outcome.tls && outcome.mode != "disable", "SCRAM-SHA-256-PLUS without TLS or with binding disabled")
            check(outcome.gs2Header == "p=tls-server-end-point,,", "PLUS with GS2 header \(outcome.gs2Header ?? "none")")
        } else if outcome.mechanism != nil {
            check(outcome.mode != "require", "channel_binding=require started \(outcome.mechanism ?? "")")
            let expected = outcome.tls && outcome.mode != "disable" ? "y,," : "n,,"
            check(outcome.gs2Header == expected, "GS2 header \(outcome.gs2Header ?? "none"), expected \(expected)")
        }
        if outcome.authenticated, outcome.mode == "require" {
            check(outcome.mechanism == "SCRAM-SHA-256-PLUS", "channel_binding=require authenticated without -PLUS")
        }
    }
}
