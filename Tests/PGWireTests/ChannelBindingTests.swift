@_spi(Fuzzing) @testable import PGWire
import Testing

/// SCRAM-SHA-256-PLUS and channel_binding: which mechanism and GS2 header the flow picks, and
/// what `require` refuses, with no I/O.
@Suite struct ChannelBindingTests {
    static let hash: [UInt8] = Array(0..<32)

    /// The mechanism and the client-first-message the flow answers an offer with.
    static func firstMessage(
        offered: [String], binding: PGConnection.Configuration.ChannelBinding, tls: Bool
    ) throws -> (mechanism: String, message: String, method: PGAuthenticationMethod) {
        var flow = AuthenticationFlow(
            user: "u", password: "pw", scramNonce: "nonce", channelBinding: binding, tlsEndPoint: tls ? hash : nil)
        guard case .saslInitialResponse(let mechanism, let data) = try flow.respond(to: .sasl(mechanisms: offered)) else {
            throw PGError(.protocolViolation, "no SASLInitialResponse")
        }
        return (mechanism, String(decoding: data, as: UTF8.self), flow.method)
    }

    @Test func plusIsChosenOverTLSWhenOffered() throws {
        let chosen = try Self.firstMessage(offered: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], binding: .prefer, tls: true)
        #expect(chosen.mechanism == "SCRAM-SHA-256-PLUS")
        #expect(chosen.message == "p=tls-server-end-point,,n=,r=nonce")
        #expect(chosen.method == .scramSHA256Plus)
    }

    @Test func theGS2FlagSaysWhatTheClientCouldDo() throws {
        // TLS, but no -PLUS offered: "y" (a server that does offer it sees the downgrade).
        #expect(try Self.firstMessage(offered: ["SCRAM-SHA-256"], binding: .prefer, tls: true).message == "y,,n=,r=nonce")
        // No TLS: "n".
        #expect(try Self.firstMessage(offered: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], binding: .prefer, tls: false).message
            == "n,,n=,r=nonce")
        // Disabled: plain SCRAM with "n" even over TLS.
        let disabled = try Self.firstMessage(offered: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], binding: .disable, tls: true)
        #expect(disabled.mechanism == "SCRAM-SHA-256" && disabled.message == "n,,n=,r=nonce")
    }

    /// The client-final-message binds the certificate hash: `c=` is base64 of the GS2 header
    /// and the hash.
    @Test func theFinalMessageCarriesTheCertificateHash() throws {
        var client = try SCRAMSHA256Client(password: "pw", clientNonce: "nonce", binding: .endPoint(Self.hash))
        _ = client.clientFirstMessage()
        let serverFirst = Array("r=nonceSERVER,s=\(Base64.encode(Array("salt".utf8))),i=4096".utf8)
        let final = String(decoding: try client.receiveServerFirst(serverFirst), as: UTF8.self)
        let expected = "c=" + Base64.encode(Array("p=tls-server-end-point,,".utf8) + Self.hash) + ",r=nonceSERVER,"
        #expect(final.hasPrefix(expected), "\(final)")
        var unbound = try SCRAMSHA256Client(password: "pw", clientNonce: "nonce", binding: .supportedNotUsed)
        _ = unbound.clientFirstMessage()
        #expect(String(decoding: try unbound.receiveServerFirst(serverFirst), as: UTF8.self).hasPrefix("c=eSws,r="))
    }

    @Test func requireRefusesEverythingButPlus() {
        let refusals: [(AuthenticationRequest, Bool)] = [
            (.ok, true), (.cleartextPassword, true), (.md5Password(salt: (1, 2, 3, 4)), true),
            (.sasl(mechanisms: ["SCRAM-SHA-256"]), true), (.sasl(mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]), false),
        ]
        for (request, tls) in refusals {
            var flow = AuthenticationFlow(user: "u", password: "pw", channelBinding: .require, tlsEndPoint: tls ? Self.hash : nil)
            let error = #expect(throws: PGError.self, "\(request)") { try flow.respond(to: request) }
            #expect(error?.code == .authentication)
            #expect(error?.message.contains("channel_binding=require") == true)
        }
        var flow = AuthenticationFlow(user: "u", password: "pw", channelBinding: .require, tlsEndPoint: Self.hash)
        #expect(throws: Never.self) { try flow.respond(to: .sasl(mechanisms: ["SCRAM-SHA-256-PLUS"])) }
    }

    @Test func sslRequestAnswers() throws {
        #expect(try SSLRequestAnswer(UInt8(ascii: "S")) == .accepted)
        #expect(try SSLRequestAnswer(UInt8(ascii: "N")) == .refused)
        #expect(try SSLRequestAnswer(UInt8(ascii: "E")) == .error)
        for byte in [UInt8(0), UInt8(ascii: "s"), UInt8(ascii: "R"), 0xFF] {
            let error = #expect(throws: PGError.self) { try SSLRequestAnswer(byte) }
            #expect(error?.code == .protocolViolation)
        }
    }
}
