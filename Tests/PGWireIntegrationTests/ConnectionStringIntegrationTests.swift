import Foundation
import PGTestServer
import PGWire
import Testing

extension Integration {
    @Suite struct ConnectionStringIntegrationTests {
        /// Percent-encodes everything but unreserved characters (RFC 3986).
        static func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"))!
        }

        @Test func connectsFromAURIAlone() async throws {
            let server = try Integration.requireServer()
            let user = server.user(.scramSHA256)
            let uri = "postgresql://\(user.name):\(Self.encode(user.password!))@127.0.0.1:\(server.port)/\(server.database)?application_name=from-uri&connect_timeout=5"
            // An empty environment: nothing but the URI decides.
            let configuration = try PGConnection.Configuration(connectionString: uri, environment: [:])
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(connection.authenticationMethod == .scramSHA256)
            let rows = try await connection.simpleQuery("SELECT current_user, current_setting('application_name')")
            #expect(rows[0].rows[0].texts == [user.name, "from-uri"])
        }

        @Test func connectsThroughASocketDirectoryInKeyValueSyntaxWithEnvironment() async throws {
            let server = try Integration.requireServer()
            let user = server.user(.md5)
            let environment = ["PGPASSWORD": user.password!, "PGDATABASE": server.database]
            let configuration = try PGConnection.Configuration(
                connectionString: "host='\(server.socketDirectory)' port=\(server.port) user=\(user.name)", environment: environment)
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(connection.authenticationMethod == .md5)
            #expect(try await connection.simpleQuery("SELECT current_database()")[0].rows[0].text(at: 0) == server.database)
        }

        @Test func pgpassSuppliesThePassword() async throws {
            let server = try Integration.requireServer()
            let user = server.user(.password)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("pgpass-\(UUID().uuidString)").path
            let escaped = user.password!.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
            try "# test\n127.0.0.1:\(server.port):*:\(user.name):\(escaped)\n".write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            chmod(path, 0o600)
            let configuration = try PGConnection.Configuration(
                connectionString: "postgres://\(user.name)@127.0.0.1:\(server.port)/\(server.database)", environment: ["PGPASSFILE": path])
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(connection.authenticationMethod == .cleartextPassword)
        }

        @Test func sslmodeRequireFailsClearlyUntilTLSExists() async throws {
            let server = try Integration.requireServer()
            let configuration = try PGConnection.Configuration(
                connectionString: "host=127.0.0.1 port=\(server.port) user=postgres sslmode=require", environment: [:])
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .tlsFailed)
            #expect(error?.message.contains("sslmode=require") == true)
        }
    }
}
