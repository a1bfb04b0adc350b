import Foundation
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
            let expected: PGAuthenticationMethod
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
            #expect(error?.sqlState == PGSQLState.invalidPassword)
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
            #expect(error?.sqlState == PGSQLState.invalidAuthorizationSpecification)
        }

        @Test func unknownDatabase() async throws {
            var configuration = try Integration.configuration()
            configuration.database = "no_such_database"
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.sqlState == PGSQLState.invalidCatalogName)
        }

        @Test func gssapiRequestIsNamedInTheError() async throws {
            // The server is built with GSSAPI; a pg_hba rule for a dedicated role makes it send
            // AuthenticationGSS, which PGWire does not implement.
            let server = try Integration.requireServer()
            try server.psql("DO $$ BEGIN CREATE ROLE pgw_gss LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
            let hbaPath = server.dataDirectory + "/pg_hba.conf"
            let original = try String(contentsOfFile: hbaPath, encoding: .utf8)
            if !original.contains("pgw_gss") {
                try ("host all pgw_gss 127.0.0.1/32 gss\n" + original).write(toFile: hbaPath, atomically: false, encoding: .utf8)
                try server.psql("SELECT pg_reload_conf()")
            }
            var configuration = try Integration.configuration()
            configuration.user = "pgw_gss"
            configuration.password = "unused"
            var lastError: PGError?
            // pg_reload_conf() signals the postmaster; new connections see the rule shortly after.
            for _ in 0..<50 {
                do {
                    let connection = try await PGConnection.connect(configuration)
                    await connection.close()
                } catch let error as PGError {
                    lastError = error
                    if error.code == .unsupportedAuthentication { break }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(lastError?.code == .unsupportedAuthentication)
            #expect(lastError?.message.contains("GSSAPI") == true)
        }
    }
}
