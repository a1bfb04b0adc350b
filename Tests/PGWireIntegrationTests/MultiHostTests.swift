import PGTestServer
import PGWire
import Testing

extension Integration {
    @Suite struct MultiHostTests {
        @Test func unreachableHostsAreSkipped() async throws {
            let server = try Integration.requireServer()
            var configuration = try Integration.configuration()
            let closed = try Integration.ConnectErrorTests.closedPort()
            configuration.servers = [
                .init(host: "127.0.0.1", port: closed),
                .init(host: "/nonexistent-socket-dir", port: server.port),
                .init(host: server.socketDirectory, port: server.port),
            ]
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(connection.server == configuration.servers[2])
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }

        @Test func allUnreachableNamesEveryFailure() async throws {
            let closed = try Integration.ConnectErrorTests.closedPort()
            var configuration = PGConnection.Configuration(host: "127.0.0.1", port: closed, user: "x")
            configuration.servers.append(.init(host: "/nonexistent-socket-dir", port: 1))
            let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
            #expect(error?.code == .connectionRefused)
            #expect(error?.message.contains("127.0.0.1:\(closed)") == true)
            #expect(error?.message.contains("/nonexistent-socket-dir/.s.PGSQL.1") == true)
        }

        @Test func targetSessionAttributesOnAPrimary() async throws {
            var configuration = try Integration.configuration()
            for (attributes, accepted) in [
                (PGConnection.Configuration.TargetSessionAttributes.any, true), (.readWrite, true), (.primary, true),
                (.preferStandby, true), (.readOnly, false), (.standby, false),
            ] {
                configuration.targetSessionAttributes = attributes
                if accepted {
                    let connection = try await PGConnection.connect(configuration)
                    await connection.close()
                } else {
                    let error = await #expect(throws: PGError.self, "\(attributes)") { try await PGConnection.connect(configuration) }
                    #expect(error?.message.contains(attributes.rawValue) == true)
                }
            }
        }

        @Test func readOnlyDefaultMakesTheSessionReadOnly() async throws {
            var configuration = try Integration.configuration()
            configuration.runtimeParameters = ["default_transaction_read_only": "on"]
            configuration.targetSessionAttributes = .readOnly
            let connection = try await PGConnection.connect(configuration)
            await connection.close()
            configuration.targetSessionAttributes = .readWrite
            await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
        }
    }
}

extension Integration.MultiHostTests {
    @Test("connect_timeout bounds each host: a silent first host costs one timeout, then the next is used")
    func connectTimeoutPerHost() async throws {
        let server = try Integration.requireServer()
        try await withScriptedServer({ _ in [.silent] }) { silent in
            var configuration = try Integration.configuration()
            // Long enough for the real server's startup on a loaded machine.
            configuration.connectTimeout = .seconds(3)
            configuration.servers = [.init(host: "127.0.0.1", port: silent.port), .init(host: server.host, port: server.port)]
            let started = ContinuousClock.now
            let connection = try await PGConnection.connect(configuration)
            let elapsed = ContinuousClock.now - started
            await connection.close()
            #expect(connection.server.port == server.port)
            // One timeout for the silent host, then the next host's own: not forever.
            #expect(elapsed >= .milliseconds(2_900))
            #expect(elapsed < .seconds(20))
        }
    }
}
