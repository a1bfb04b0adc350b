@_spi(Fuzzing) @testable import PGWire
import Testing

@Suite struct AuthenticationRequirementTests {
    typealias Requirement = PGConnection.Configuration.AuthenticationRequirement

    @Test func aPlainListAllowsExactlyItsMethods() throws {
        #expect(try Requirement(libpq: "scram-sha-256").allowed == [.scramSHA256])
        #expect(try Requirement(libpq: "md5,none").allowed == [.md5, .none])
    }

    @Test func aNegatedListAllowsEverythingElse() throws {
        let requirement = try Requirement(libpq: "!password,!md5")
        #expect(!requirement.allowed.contains(.password) && !requirement.allowed.contains(.md5))
        #expect(requirement.allowed.contains(.scramSHA256) && requirement.allowed.contains(.none))
        #expect(requirement.description == "!password,!md5")
    }

    @Test(arguments: ["scram", "md5,!password", "md5,md5", "", "scram-sha-256,"])
    func malformedListsAreConfigurationErrors(_ text: String) {
        let error = pgError { _ = try Requirement(libpq: text) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("require_auth") == true)
    }

    @Test func aForbiddenRequestFailsBeforeAnythingIsSent() {
        let scramOnly = Requirement(allowed: [.scramSHA256])
        let requests: [(AuthenticationRequest, String)] = [
            (.cleartextPassword, "cleartext"), (.md5Password(salt: (1, 2, 3, 4)), "hashed"),
            (.ok, "did not complete authentication"), (.gss, "GSSAPI"), (.sspi, "SSPI"),
        ]
        for (request, words) in requests {
            var flow = AuthenticationFlow(user: "u", password: "secret", requirement: scramOnly)
            let error = pgError { _ = try flow.respond(to: request) }
            #expect(error?.code == .authentication)
            #expect(error?.message.contains(words) == true)
            #expect(error?.message.contains("secret") == false)
        }
    }

    @Test func scramIsForbiddenByANegatedRequirement() {
        var flow = AuthenticationFlow(user: "u", password: "pw", requirement: Requirement(allowed: Set(Requirement.Method.allCases).subtracting([.scramSHA256])))
        let error = pgError { _ = try flow.respond(to: .sasl(mechanisms: ["SCRAM-SHA-256"])) }
        #expect(error?.code == .authentication)
    }

    @Test func anAllowedPasswordMethodStillCompletes() throws {
        var flow = AuthenticationFlow(user: "u", password: "pw", requirement: try Requirement(libpq: "password"))
        #expect(try flow.respond(to: .cleartextPassword) == .password("pw"))
        #expect(try flow.respond(to: .ok) == nil)
        #expect(flow.isAuthenticated)
    }

    @Test func aSCRAMIterationCountAboveTheLimitIsRefusedBeforeHashing() throws {
        var flow = AuthenticationFlow(user: "u", password: "pw", scramNonce: "abc", maxSCRAMIterations: 4096)
        _ = try flow.respond(to: .sasl(mechanisms: ["SCRAM-SHA-256"]))
        let first = Array("r=abcdef,s=QSXCR+Q6sek8bf92,i=4097".utf8)
        let error = pgError { _ = try flow.respond(to: .saslContinue(first)) }
        #expect(error?.code == .authentication)
        #expect(error?.message.contains("4096") == true)
    }
}
