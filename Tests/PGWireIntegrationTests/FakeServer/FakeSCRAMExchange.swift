@testable import PGWire

/// The server side of one SCRAM-SHA-256 exchange (RFC 5802 with RFC 7677's SHA-256), so the
/// fake server can authenticate PGWire for real, or misbehave in one chosen way.
///
/// The crypto is PGWire's own (`Crypto`, `Base64`, through `@testable import`): the test target
/// cannot import COpenSSL. That is acceptable because what is checked is the protocol, and a
/// wrong primitive would fail the `.none` exchange (the client rejects the server signature).
struct FakeSCRAMExchange {
    let password: String
    let iterations: Int
    let tamper: SCRAMTamper
    let salt: [UInt8] = Array("fake-server-salt".utf8)
    /// Above this, the fake refuses to run PBKDF2 itself (a client that accepted such a count
    /// gets a garbage signature rather than a fake server stuck for minutes).
    static let maxComputedIterations = 1_000_000

    private var clientFirstBare: [UInt8] = []
    private var serverFirst: [UInt8] = []

    init(password: String, iterations: Int, tamper: SCRAMTamper) {
        self.password = password
        self.iterations = iterations
        self.tamper = tamper
    }

    /// Reads SASLInitialResponse's body (mechanism, Int32 length, `n,,n=,r=<cnonce>`) and
    /// returns the server-first-message.
    mutating func serverFirst(forInitialResponse body: [UInt8], record: ConnectionRecord) -> [UInt8] {
        let mechanismEnd = body.firstIndex(of: 0) ?? body.endIndex
        let mechanism = String(decoding: body[..<mechanismEnd], as: UTF8.self)
        if mechanism != "SCRAM-SHA-256" { record.problem("SASL mechanism \(mechanism)") }
        let clientFirst = Array(body.dropFirst(mechanismEnd + 1 + 4))
        // The GS2 header is everything up to the second comma; the bare message follows.
        let commas = clientFirst.indices.filter { clientFirst[$0] == UInt8(ascii: ",") }
        let bareStart = commas.count >= 2 ? commas[1] + 1 : 0
        clientFirstBare = Array(clientFirst[bareStart...])
        let clientNonce = Self.attribute("r", in: clientFirstBare) ?? []
        let nonce: [UInt8] = switch tamper {
        case .nonceNotExtendingClient: Array("not-the-client-nonce".utf8) + clientNonce
        case .nonceEqualToClient: clientNonce
        default: clientNonce + Array("fakeServerNonce".utf8)
        }
        var message = "r=" + String(decoding: nonce, as: UTF8.self)
        if tamper != .missingSalt { message += ",s=" + Base64.encode(salt) }
        message += ",i=\(iterations)"
        serverFirst = Array(message.utf8)
        return serverFirst
    }

    /// Reads the client-final-message (`c=biws,r=...,p=<proof>`), checks the proof, and returns
    /// the server-final-message `v=<ServerSignature>` (a wrong one when tampering).
    func serverFinal(forClientFinal clientFinal: [UInt8], record: ConnectionRecord) -> [UInt8] {
        let marker = Array(",p=".utf8)
        var proofStart: Int?
        for start in stride(from: clientFinal.count - marker.count, through: 0, by: -1)
        where clientFinal[start..<start + marker.count].elementsEqual(marker) {
            proofStart = start
            break
        }
        guard let proofStart, iterations >= 1, iterations <= Self.maxComputedIterations,
            let saltedPassword = try? Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iterations)
        else {
            record.problem("client-final without proof, or iteration count not computed")
            return Array("v=".utf8) + Base64.encodedBytes([UInt8](repeating: 7, count: 32))
        }
        let withoutProof = Array(clientFinal[..<proofStart])
        let authMessage = clientFirstBare + [UInt8(ascii: ",")] + serverFirst + [UInt8(ascii: ",")] + withoutProof
        do {
            let clientKey = try Crypto.hmacSHA256(key: saltedPassword, data: Array("Client Key".utf8))
            let storedKey = try Crypto.sha256(clientKey)
            let clientSignature = try Crypto.hmacSHA256(key: storedKey, data: authMessage)
            let proof = Base64.decode(bytes: clientFinal[(proofStart + marker.count)...]) ?? []
            let recoveredKey = zip(proof, clientSignature).map { $0 ^ $1 }
            let recoveredStoredKey = try Crypto.sha256(recoveredKey)
            record.setSCRAMProofValid(proof.count == 32 && recoveredStoredKey == storedKey)

            let serverKey = try Crypto.hmacSHA256(key: saltedPassword, data: Array("Server Key".utf8))
            var signature = try Crypto.hmacSHA256(key: serverKey, data: authMessage)
            if tamper == .wrongServerSignature { signature[0] ^= 0xFF }
            return Array("v=".utf8) + Base64.encodedBytes(signature)
        } catch {
            record.problem("crypto failed: \(error)")
            return Array("e=other-error".utf8)
        }
    }

    /// The value of attribute `name` in a comma-separated SCRAM message.
    static func attribute(_ name: Character, in message: [UInt8]) -> [UInt8]? {
        for part in message.split(separator: UInt8(ascii: ",")) where part.count >= 2 {
            if part[part.startIndex] == name.asciiValue!, part[part.startIndex + 1] == UInt8(ascii: "=") {
                return Array(part.dropFirst(2))
            }
        }
        return nil
    }
}
