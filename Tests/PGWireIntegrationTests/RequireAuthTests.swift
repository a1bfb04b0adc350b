import PGTestServer
import PGWire
import Testing

extension Integration {
    /// `require_auth` against the real server's four kinds of users: a method the requirement
    /// forbids fails on the client before any password leaves it.
    @Suite struct RequireAuthTests {
        typealias Requirement = PGConnection.Configuration.AuthenticationRequirement

        static func connect(_ method: TestServer.AuthMethod, requiring text: String) async throws -> PGConnection {
            var configuration = try Integration.configuration(method)
            configuration.requireAuth = try Requirement(libpq: text)
            return try await PGConnection.connect(configuration)
        }

        @Test("scram-sha-256 only: the SCRAM user connects, the others fail as authentication errors",
            arguments: TestServer.AuthMethod.allCases)
        func scramOnly(method: TestServer.AuthMethod) async throws {
            if method == .scramSHA256 {
                let connection = try await Self.connect(method, requiring: "scram-sha-256")
                #expect(connection.authenticationMethod == .scramSHA256)
                await connection.close()
                return
            }
            let error = await #expect(throws: PGError.self) { try await Self.connect(method, requiring: "scram-sha-256") }
            #expect(error?.code == .authentication)
            #expect(error?.message.contains("scram-sha-256") == true)
        }

        @Test func aNegatedRequirementLetsOtherMethodsThrough() async throws {
            let md5 = try await Self.connect(.md5, requiring: "!password")
            #expect(md5.authenticationMethod == .md5)
            await md5.close()
            let error = await #expect(throws: PGError.self) { try await Self.connect(.password, requiring: "!password") }
            #expect(error?.code == .authentication)
        }

        @Test func noneAllowsATrustedLogin() async throws {
            let connection = try await Self.connect(.trust, requiring: "none")
            #expect(connection.authenticationMethod == .trust)
            await connection.close()
            let error = await #expect(throws: PGError.self) { try await Self.connect(.scramSHA256, requiring: "none") }
            #expect(error?.code == .authentication)
        }

        @Test func channelBindingRequireFailsClearlyWithoutTLS() async throws {
            var configuration = try Integration.configuration(.scramSHA256)
            configuration.channelBinding = .require
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .authentication)
            #expect(error?.message.contains("TLS") == true)
        }
    }
}
