@_spi(Fuzzing) @testable import PGWire
import Testing

@Suite struct AuthenticationFlowTests {
    @Test func trustNeedsNothing() throws {
        var flow = AuthenticationFlow(user: "u", password: nil)
        #expect(try flow.respond(to: .ok) == nil)
        #expect(flow.isAuthenticated)
        #expect(flow.method == .trust)
    }

    @Test func cleartextSendsThePassword() throws {
        var flow = AuthenticationFlow(user: "u", password: "pw")
        #expect(try flow.respond(to: .cleartextPassword) == .password("pw"))
        #expect(flow.method == .cleartextPassword)
        #expect(try flow.respond(to: .ok) == nil)
        #expect(flow.isAuthenticated)
    }

    @Test func md5SendsTheHash() throws {
        var flow = AuthenticationFlow(user: "u", password: "pw")
        let response = try flow.respond(to: .md5Password(salt: (1, 2, 3, 4)))
        #expect(response == .password(try MD5Password.hash(user: "u", password: "pw", salt: [1, 2, 3, 4])))
        guard case .password(let hash) = response else { return }
        #expect(hash.hasPrefix("md5") && hash.count == 35)
    }

    @Test func missingPasswordIsAClearError() {
        for request in [AuthenticationRequest.cleartextPassword, .md5Password(salt: (0, 0, 0, 0)), .sasl(mechanisms: ["SCRAM-SHA-256"])] {
            var flow = AuthenticationFlow(user: "alice", password: nil)
            let error = #expect(throws: PGError.self) { try flow.respond(to: request) }
            #expect(error?.code == .passwordRequired)
            #expect(error?.message.contains("alice") == true)
        }
    }

    @Test func unsupportedMethodsAreNamed() {
        let cases: [(AuthenticationRequest, String)] = [
            (.gss, "GSSAPI"), (.sspi, "SSPI"), (.kerberosV5, "Kerberos"),
            (.sasl(mechanisms: ["SCRAM-SHA-256-PLUS-ONLY", "OAUTHBEARER"]), "OAUTHBEARER"),
        ]
        for (request, name) in cases {
            var flow = AuthenticationFlow(user: "u", password: "pw")
            let error = #expect(throws: PGError.self) { try flow.respond(to: request) }
            #expect(error?.code == .unsupportedAuthentication)
            #expect(error?.message.contains(name) == true)
        }
    }

    @Test func fullSCRAMExchangeWithRFC7677Server() throws {
        // The server side of RFC 7677's example, as PostgreSQL sends it (empty n= in client-first).
        var flow = AuthenticationFlow(user: "user", password: "pencil", scramNonce: "rOprNGfwEbeRWgbNEkqO")
        let first = try flow.respond(to: .sasl(mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]))
        #expect(first == .saslInitialResponse(mechanism: "SCRAM-SHA-256", data: Array("n,,n=,r=rOprNGfwEbeRWgbNEkqO".utf8)))
        #expect(flow.method == .scramSHA256)
        let serverFirst = Array("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8)
        guard case .saslResponse(let final)? = try flow.respond(to: .saslContinue(serverFirst)) else {
            Issue.record("expected a SASLResponse")
            return
        }
        #expect(String(decoding: final, as: UTF8.self).hasPrefix("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="))
        // With "n=" instead of the RFC's "n=user" the server signature differs from the RFC's,
        // so a server that sends the RFC's verifier here must be rejected...
        var rejecting = flow
        let error = #expect(throws: PGError.self) {
            try rejecting.respond(to: .saslFinal(Array("v=6rriTRBi23WpRR/wl/v8BoJ6/yBPOQ5sgUCpy2f0gE4=".utf8)))
        }
        #expect(error?.code == .authentication)
        // ...and AuthenticationOk without a verified SASLFinal is refused.
        let skipped = #expect(throws: PGError.self) { try flow.respond(to: .ok) }
        #expect(skipped?.code == .authentication)
        #expect(!flow.isAuthenticated)
    }

    @Test func outOfOrderRequestsAreProtocolViolations() {
        var flow = AuthenticationFlow(user: "u", password: "pw")
        let error = #expect(throws: PGError.self) { try flow.respond(to: .saslFinal([])) }
        #expect(error?.code == .protocolViolation)
        var continued = AuthenticationFlow(user: "u", password: "pw")
        let second = #expect(throws: PGError.self) { try continued.respond(to: .saslContinue(Array("r=x,s=QQ==,i=1".utf8))) }
        #expect(second?.code == .protocolViolation)
    }
}
