/// One `name=value` attribute of a SCRAM message (RFC 5802, section 5).
struct SCRAMAttribute: Sendable, Equatable {
    /// The one-letter attribute name, as an ASCII byte.
    var name: UInt8
    var value: ArraySlice<UInt8>

    /// Splits a SCRAM message at its commas. Every part must be a letter, `=`, and a value
    /// (possibly empty); an empty message or part is malformed. Never returns an empty array.
    static func parse(_ message: [UInt8], _ what: String) throws -> [SCRAMAttribute] {
        var attributes: [SCRAMAttribute] = []
        for part in message.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard part.count >= 2, isLetter(part[part.startIndex]),
                part[part.startIndex + 1] == UInt8(ascii: "=")
            else {
                throw PGError(.authentication, "malformed SCRAM \(what): expected attribute=value")
            }
            attributes.append(SCRAMAttribute(name: part[part.startIndex], value: part.dropFirst(2)))
        }
        return attributes
    }

    /// The error for a server's `e=` attribute, naming its value (printable ASCII only, shortened).
    static func serverError(_ value: ArraySlice<UInt8>) -> PGError {
        let shown = value.prefix(100).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }
        return PGError(
            .authentication, "SCRAM server error: \(String(decoding: shown, as: UTF8.self))")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}

/// The checked content of a server-first-message:
/// `[m=...,]r=<nonce>,s=<salt>,i=<iterations>[,extensions]`.
struct SCRAMServerFirst: Sendable {
    /// The combined nonce: the client's nonce followed by the server's part.
    var nonce: [UInt8]
    var salt: [UInt8]
    var iterations: Int

    init(_ message: [UInt8], clientNonce: [UInt8]) throws {
        let attributes = try SCRAMAttribute.parse(message, "server-first-message")
        switch attributes[0].name {
        case UInt8(ascii: "m"):
            throw PGError(
                .authentication, "SCRAM server requires an unsupported mandatory extension (m=)")
        case UInt8(ascii: "e"):
            throw SCRAMAttribute.serverError(attributes[0].value)
        default:
            break
        }
        guard attributes.count >= 3, attributes[0].name == UInt8(ascii: "r"),
            attributes[1].name == UInt8(ascii: "s"), attributes[2].name == UInt8(ascii: "i")
        else {
            throw PGError(
                .authentication, "malformed SCRAM server-first-message: expected r=, s= and i=")
        }
        // Attributes after i= are extensions (RFC 5802, section 5.1), which a client may ignore.

        let nonce = Array(attributes[0].value)
        guard nonce.allSatisfy(SCRAMSHA256Client.isNonceCharacter) else {
            throw PGError(.authentication, "malformed SCRAM server-first-message: invalid nonce")
        }
        guard nonce.count > clientNonce.count, nonce.starts(with: clientNonce) else {
            throw PGError(
                .authentication, "SCRAM server nonce does not extend the client nonce")
        }

        guard let salt = Base64.decode(bytes: attributes[1].value), !salt.isEmpty else {
            throw PGError(.authentication, "malformed SCRAM server-first-message: invalid salt")
        }

        self.nonce = nonce
        self.salt = salt
        self.iterations = try Self.iterations(attributes[2].value)
    }

    /// The decimal iteration count, between 1 and ``SCRAMSHA256Client/maxIterations``.
    private static func iterations(_ text: ArraySlice<UInt8>) throws -> Int {
        guard !text.isEmpty, text.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw PGError(
                .authentication, "malformed SCRAM server-first-message: invalid iteration count")
        }
        var count = 0
        for digit in text {
            count = count * 10 + Int(digit - UInt8(ascii: "0"))
            guard count <= SCRAMSHA256Client.maxIterations else {
                throw PGError(
                    .authentication,
                    "SCRAM iteration count from the server is above the limit of"
                        + " \(SCRAMSHA256Client.maxIterations)"
                )
            }
        }
        guard count >= 1 else {
            throw PGError(
                .authentication, "SCRAM iteration count from the server must be at least 1")
        }
        return count
    }
}
