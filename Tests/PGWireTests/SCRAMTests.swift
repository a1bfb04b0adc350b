import Testing

@testable import PGWire

/// The example exchange of RFC 7677, section 3 (user "user", password "pencil").
private enum RFC7677 {
    static let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    static let serverNonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    static let serverFirst = "r=\(serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal =
        "c=biws,r=\(serverNonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    // The RFC's text prints this correctly; some copies carry a corrupted tail
    // ("6rriTRBi23WpRR/wl/v8BoJ6/yBPOQ5sgUCpy2f0gE4=", tested below as a wrong signature).
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A client that has sent its first message, with the RFC 7677 nonce.
private func startedClient(password: String = "pencil", username: String = "user") throws
    -> SCRAMSHA256Client
{
    var client = try SCRAMSHA256Client(
        password: password, clientNonce: RFC7677.clientNonce, username: username)
    _ = client.clientFirstMessage()
    return client
}

/// Expects `body` to throw a PGError with code `.authentication` whose message contains `fragment`.
private func expectAuthenticationError(
    _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    let error = #expect(throws: PGError.self, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == .authentication, sourceLocation: sourceLocation)
    #expect(
        error?.message.contains(fragment) == true, "message: \(error?.message ?? "nil")",
        sourceLocation: sourceLocation)
}

@Suite("SCRAM-SHA-256 client")
struct SCRAMTests {
    @Test func rfc7677Example() throws {
        var client = try SCRAMSHA256Client(
            password: "pencil", clientNonce: RFC7677.clientNonce, username: "user")
        #expect(SCRAMSHA256Client.mechanism == "SCRAM-SHA-256")
        #expect(text(client.clientFirstMessage()) == RFC7677.clientFirst)
        #expect(
            text(try client.receiveServerFirst(bytes(RFC7677.serverFirst))) == RFC7677.clientFinal)
        #expect(!client.isComplete)
        try client.receiveServerFinal(bytes(RFC7677.serverFinal))
        #expect(client.isComplete)
    }

    @Test func postgreSQLFormWithEmptyUserName() throws {
        // Same server messages, but "n=" as libpq sends; expected values computed with Python
        // (hashlib.pbkdf2_hmac and hmac) over AuthMessage "n=,r=...,<server-first>,c=biws,r=...".
        var client = try SCRAMSHA256Client(password: "pencil", clientNonce: RFC7677.clientNonce)
        #expect(text(client.clientFirstMessage()) == "n,,n=,r=rOprNGfwEbeRWgbNEkqO")
        #expect(
            text(try client.receiveServerFirst(bytes(RFC7677.serverFirst)))
                == "c=biws,r=\(RFC7677.serverNonce),p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=")
        try client.receiveServerFinal(bytes("v=3HO6Qt1M4MKJrmlKaoOqLAI0/0TV0HZe7J9H3MBtSOg="))
        #expect(client.isComplete)
    }

    @Test func nonASCIIPasswordIsPreparedWithSASLprep() throws {
        // "I<U+00AD>X<U+2168>" prepares to "IXIX"; the proof was computed with Python for "IXIX".
        var client = try SCRAMSHA256Client(
            password: "I\u{00AD}X\u{2168}", clientNonce: RFC7677.clientNonce)
        _ = client.clientFirstMessage()
        #expect(
            text(try client.receiveServerFirst(bytes(RFC7677.serverFirst)))
                == "c=biws,r=\(RFC7677.serverNonce),p=6XNCTcnDozm9jn8BYxLo5U4vR0mImV/TMW4viE0QkOY=")
    }

    @Test func generatedNonceIsPrintableAndFresh() throws {
        var a = try SCRAMSHA256Client(password: "pencil")
        var b = try SCRAMSHA256Client(password: "pencil")
        let first = text(a.clientFirstMessage())
        #expect(first.hasPrefix("n,,n=,r="))
        let nonce = first.dropFirst("n,,n=,r=".count)
        #expect(nonce.count == 32)  // 24 random bytes in base64
        #expect(nonce.utf8.allSatisfy(SCRAMSHA256Client.isNonceCharacter))
        #expect(text(b.clientFirstMessage()) != first)
    }

    @Test func userNameIsEscaped() throws {
        var client = try SCRAMSHA256Client(password: "p", clientNonce: "abc", username: "a=b,c")
        #expect(text(client.clientFirstMessage()) == "n,,n=a=3Db=2Cc,r=abc")
    }

    @Test func rejectsInvalidClientNonce() {
        for nonce in ["", "a,b", "a b", "é"] {
            expectAuthenticationError("client nonce") {
                _ = try SCRAMSHA256Client(password: "p", clientNonce: nonce)
            }
        }
    }

    @Test func wrongServerSignatureFails() throws {
        var client = try startedClient()
        _ = try client.receiveServerFirst(bytes(RFC7677.serverFirst))
        expectAuthenticationError("SCRAM server signature mismatch") {
            try client.receiveServerFinal(bytes("v=6rriTRBi23WpRR/wl/v8BoJ6/yBPOQ5sgUCpy2f0gE4="))
        }
        #expect(!client.isComplete)
        // The exchange is over: even the right signature is refused now.
        expectAuthenticationError("out of order") {
            try client.receiveServerFinal(bytes(RFC7677.serverFinal))
        }
    }

    @Test func malformedServerFinalFails() throws {
        for message in ["", "v=", "v=6rriTRBi23WpRR", "v=!!!!", "x=abc", "v6rri", "v=Zm9v"] {
            var client = try startedClient()
            _ = try client.receiveServerFirst(bytes(RFC7677.serverFirst))
            expectAuthenticationError("server-final-message") {
                try client.receiveServerFinal(bytes(message))
            }
            #expect(!client.isComplete)
        }
    }

    @Test func serverErrorInFinalIsNamed() throws {
        var client = try startedClient()
        _ = try client.receiveServerFirst(bytes(RFC7677.serverFirst))
        expectAuthenticationError("SCRAM server error: invalid-proof") {
            try client.receiveServerFinal(bytes("e=invalid-proof"))
        }
    }

    @Test func serverErrorAndMandatoryExtensionInFirstAreRejected() throws {
        var client = try startedClient()
        expectAuthenticationError("SCRAM server error: other-error") {
            _ = try client.receiveServerFirst(bytes("e=other-error"))
        }
        client = try startedClient()
        expectAuthenticationError("mandatory extension") {
            _ = try client.receiveServerFirst(bytes("m=ext,\(RFC7677.serverFirst)"))
        }
    }

    @Test func serverNonceMustExtendClientNonce() throws {
        for nonce in [
            "rOprNGfwEbeRWgbNEkqO", "XOprNGfwEbeRWgbNEkqO%hvYD", "rOprNG", "%hvYDpWUa2RaTCAfuxFIlj",
        ] {
            var client = try startedClient()
            expectAuthenticationError("server nonce does not extend the client nonce") {
                _ = try client.receiveServerFirst(
                    bytes("r=\(nonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
            }
        }
    }

    @Test func iterationCountIsCapped() throws {
        let cap = SCRAMSHA256Client.maxIterations
        let cases = [
            ("0", "at least 1"), ("\(cap + 1)", "above the limit"),
            ("99999999999999999999999999", "above the limit"), ("-1", "invalid iteration count"),
            ("", "invalid iteration count"), ("4096x", "invalid iteration count"),
            ("+4096", "invalid iteration count"),
        ]
        for (iterations, fragment) in cases {
            var client = try startedClient()
            expectAuthenticationError(fragment) {
                _ = try client.receiveServerFirst(
                    bytes("r=\(RFC7677.serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=\(iterations)"))
            }
        }
    }

    @Test func invalidSaltFails() throws {
        for salt in ["", "W22ZaJ0SNY7soEsUEjb6gQ=", "W22ZaJ0SNY7soEsUEjb6gQ", "!!!!", "W22Z aJ0S"] {
            var client = try startedClient()
            expectAuthenticationError("invalid salt") {
                _ = try client.receiveServerFirst(
                    bytes("r=\(RFC7677.serverNonce),s=\(salt),i=4096"))
            }
        }
    }

    @Test func malformedServerFirstFails() throws {
        let messages = [
            "", ",", "r=\(RFC7677.serverNonce)",
            "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=\(RFC7677.serverNonce),i=4096",
            "r=\(RFC7677.serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,",
            "r=\(RFC7677.serverNonce),,i=1",
            "r=\(RFC7677.serverNonce)\u{7F},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        ]
        for message in messages {
            var client = try startedClient()
            expectAuthenticationError("SCRAM") { _ = try client.receiveServerFirst(bytes(message)) }
        }
    }

    @Test func extensionsAfterIterationCountAreIgnoredButSigned() throws {
        var client = try startedClient()
        let final = try client.receiveServerFirst(bytes(RFC7677.serverFirst + ",x=future"))
        // Same nonce and keys, but the AuthMessage includes the extension, so the proof differs.
        #expect(text(final).hasPrefix("c=biws,r=\(RFC7677.serverNonce),p="))
        #expect(text(final) != RFC7677.clientFinal)
    }

    @Test func stepsOutOfOrderFail() throws {
        var client = try SCRAMSHA256Client(password: "pencil", clientNonce: RFC7677.clientNonce)
        expectAuthenticationError("out of order") {
            _ = try client.receiveServerFirst(bytes(RFC7677.serverFirst))
        }
        expectAuthenticationError("out of order") {
            try client.receiveServerFinal(bytes(RFC7677.serverFinal))
        }

        client = try SCRAMSHA256Client(password: "pencil", clientNonce: RFC7677.clientNonce)
        _ = client.clientFirstMessage()
        expectAuthenticationError("out of order") {
            try client.receiveServerFinal(bytes(RFC7677.serverFinal))
        }

        // clientFirstMessage() cannot throw: a second call returns the same message, ends the
        // exchange, and the next step throws naming the misuse.
        client = try SCRAMSHA256Client(password: "pencil", clientNonce: RFC7677.clientNonce)
        let first = client.clientFirstMessage()
        #expect(client.clientFirstMessage() == first)
        expectAuthenticationError("clientFirstMessage() was called out of order") {
            _ = try client.receiveServerFirst(bytes(RFC7677.serverFirst))
        }
        #expect(!client.isComplete)

        var done = try startedClient()
        _ = try done.receiveServerFirst(bytes(RFC7677.serverFirst))
        expectAuthenticationError("out of order") {
            _ = try done.receiveServerFirst(bytes(RFC7677.serverFirst))
        }
        try done.receiveServerFinal(bytes(RFC7677.serverFinal))
        expectAuthenticationError("out of order") {
            try done.receiveServerFinal(bytes(RFC7677.serverFinal))
        }
        #expect(done.isComplete)
        _ = done.clientFirstMessage()
        #expect(!done.isComplete)
        expectAuthenticationError("clientFirstMessage() was called out of order (state: complete)")
        {
            try done.receiveServerFinal(bytes(RFC7677.serverFinal))
        }
    }

    @Test func failedStepEndsTheExchange() throws {
        var client = try startedClient()
        expectAuthenticationError("invalid salt") {
            _ = try client.receiveServerFirst(bytes("r=\(RFC7677.serverNonce),s=!!!!,i=4096"))
        }
        expectAuthenticationError("out of order") {
            _ = try client.receiveServerFirst(bytes(RFC7677.serverFirst))
        }
    }

    @Test func descriptionHidesThePassword() throws {
        var client = try SCRAMSHA256Client(password: "hunter2-secret")
        _ = client.clientFirstMessage()
        #expect(!"\(client)".contains("hunter2"))
        #expect(!String(reflecting: client).contains("hunter2"))
        var dumped = ""
        dump(client, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect("\(client)" == "SCRAMSHA256Client(state: waitingForServerFirst)")
    }
}

@Suite("SASLprep")
struct SASLprepTests {
    @Test func asciiIsUnchanged() {
        #expect(SASLprep.prepare("pencil") == "pencil")
        #expect(SASLprep.prepare("USER") == "USER")
        #expect(SASLprep.prepare("") == "")
        // PostgreSQL passes pure ASCII through, even control characters (RFC 4013 would reject).
        #expect(SASLprep.prepare("\u{07}bell") == "\u{07}bell")
        #expect(SASLprep.passwordBytes("pencil") == Array("pencil".utf8))
    }

    @Test func mapsNonASCIISpacesToSpace() {
        #expect(SASLprep.prepare("pass\u{00A0}word") == "pass word")
        #expect(SASLprep.prepare("a\u{3000}b\u{2003}c") == "a b c")
        #expect(SASLprep.passwordBytes("pass\u{00A0}word") == Array("pass word".utf8))
    }

    @Test func rfc4013Examples() {
        #expect(SASLprep.prepare("I\u{00AD}X") == "IX")  // soft hyphen mapped to nothing
        #expect(SASLprep.prepare("\u{00AA}") == "a")  // NFKC
        #expect(SASLprep.prepare("\u{2168}") == "IX")  // NFKC
        #expect(SASLprep.prepare("\u{0627}\u{0031}") == nil)  // bidi: must end with RandALCat
    }

    @Test func normalisesToNFKC() {
        #expect(SASLprep.prepare("e\u{0301}") == "\u{00E9}")
        #expect(SASLprep.prepare("\u{FB01}x") == "fix")
    }

    @Test func failuresFallBackToRawBytes() {
        let cases = [
            "\u{00AD}",  // empty after mapping
            "caf\u{00E9}\u{0007}",  // control character in a non-ASCII password
            "\u{00E9}\u{E000}",  // private use
            // A non-character (which has no literal form).
            "\u{00E9}" + String(Unicode.Scalar(UInt32(0xFDD0))!),
            "pass\u{1F600}\u{00E9}",  // emoji: unassigned in Unicode 3.2
            "\u{00E9}\u{0340}",  // prohibited before normalisation, as in PostgreSQL
            "a\u{05D0}",  // bidi: RandALCat with LCat
            "\u{05D0}1",  // bidi: must end with RandALCat
        ]
        for password in cases {
            #expect(
                SASLprep.prepare(password) == nil, "\(password.unicodeScalars.map { $0.value })")
            #expect(SASLprep.passwordBytes(password) == Array(password.utf8))
        }
    }

    @Test func rightToLeftPasswordsPass() {
        #expect(SASLprep.prepare("\u{05D0}\u{05D1}") == "\u{05D0}\u{05D1}")
        #expect(SASLprep.prepare("\u{0627}1\u{0628}") == "\u{0627}1\u{0628}")
    }
}
