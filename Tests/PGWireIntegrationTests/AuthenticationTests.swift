import PGTestServer
import PGWire
import Testing

extension Integration {
    @Suite struct AuthenticationTests {
        static let methods: [TestServer.AuthMethod] = [.trust, .password, .md5, .scramSHA256]

        @Test("every auth method over every transport", arguments: methods, Transport.allCases)
        func logsIn(method: TestServer.AuthMethod, transport: Transport) async throws {
            let server = try Integration.requireServer()
            let user = server.user(method)
            var configuration = try Integration.configuration(method, transport: transport)
            configuration.user = user.name
            configuration.password = user.password
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            let results = try await connection.simpleQuery("SELECT current_user, inet_server_addr() IS NULL")
            #expect(results[0].rows[0].text(at: 0) == user.name)
            // Unix sockets have no server address; TCP does.
            #expect(results[0].rows[0].text(at: 1) == (transport == .unixSocket ? "t" : "f"))
            let expected: AuthenticationMethod
            switch method {
            case .trust: expected = .trust
            case .password: expected = .cleartextPassword
            case .md5: expected = .md5
            case .scramSHA256: expected = .scramSHA256
            }
            #expect(connection.authenticationMethod == expected)
            await connection.close()
        }

        @Test("a wrong password is a 28P01 server error without the password in it", arguments: [TestServer.AuthMethod.password, .md5, .scramSHA256], [Transport.tcp, .unixSocket])
        func wrongPassword(method: TestServer.AuthMethod, transport: Transport) async throws {
            let secret = "definitely-wrong-Pa55"
            let configuration = try Integration.configuration(method, transport: transport, password: .some(secret))
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .server)
            #expect(error?.sqlState == SQLState.invalidPassword)
            #expect(error?.serverMessage?.contains("password authentication failed") == true)
            #expect(error.map { !"\($0)".contains(secret) } == true)
            #expect(error.map { "\($0)".contains("28P01") } == true)
        }

        @Test("a server asking for a password when none was given", arguments: [TestServer.AuthMethod.password, .md5, .scramSHA256])
        func missingPassword(method: TestServer.AuthMethod) async throws {
            let configuration = try Integration.configuration(method, password: .some(nil))
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .passwordRequired)
            #expect(error?.message.contains("no password was provided") == true)
        }

        @Test func unknownUserIsRejectedByPgHba() async throws {
            var configuration = try Integration.configuration()
            configuration.user = "nobody_here"
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .server)
            #expect(error?.sqlState == SQLState.invalidAuthorizationSpecification)
        }

        @Test func unknownDatabase() async throws {
            var configuration = try Integration.configuration()
            configuration.database = "no_such_database"
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.sqlState == SQLState.invalidCatalogName)
        }
    }
}
