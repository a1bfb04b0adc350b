import PGWire
import Testing

extension Integration {
    @Suite struct SessionTests {
        @Test func startupParametersAndParameterStatus() async throws {
            var configuration = try Integration.configuration()
            configuration.applicationName = "session-test"
            configuration.runtimeParameters = ["search_path": "pg_catalog, public", "TimeZone": "Europe/Zurich"]
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            #expect(connection.parameter("application_name") == "session-test")
            #expect(connection.parameter("client_encoding") == "UTF8")
            #expect(connection.parameter("TimeZone") == "Europe/Zurich")
            #expect(connection.serverVersion?.first?.isNumber == true)
            #expect(connection.parameter("integer_datetimes") == "on")
            let path = try await connection.simpleQuery("SHOW search_path")
            #expect(path[0].rows[0].text(at: 0) == "pg_catalog, public")
            // ParameterStatus keeps the values current for the whole session.
            _ = try await connection.simpleQuery("SET application_name = 'renamed'; SET TimeZone = 'UTC'")
            #expect(connection.parameter("application_name") == "renamed")
            #expect(connection.parameters["TimeZone"] == "UTC")
        }

        @Test func backendKeyDataMatchesBackendPid() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let key = try #require(connection.backendKeyData)
            #expect(key.secretKey.count == 4)
            let pid = try await connection.simpleQuery("SELECT pg_backend_pid()")[0].rows[0].text(at: 0)
            #expect(pid == String(key.processID))
            #expect(connection.processID == key.processID)
        }

        @Test func negotiateProtocolVersionIsNotFatal() async throws {
            // PostgreSQL answers an unknown _pq_ protocol option with NegotiateProtocolVersion.
            var configuration = try Integration.configuration()
            configuration.runtimeParameters = ["_pq_.pgwire_test_option": "on"]
            let connection = try await PGConnection.connect(configuration)
            defer { Task { await connection.close() } }
            let negotiation = try #require(connection.protocolNegotiation)
            #expect(negotiation.unrecognizedOptions == ["_pq_.pgwire_test_option"])
            #expect(negotiation.newestMinorVersion == 0)
            #expect(try await connection.simpleQuery("SELECT 1")[0].rows[0].text(at: 0) == "1")
        }

        @Test func closeTwiceIsHarmlessAndUseAfterCloseIsAnError() async throws {
            let connection = try await Integration.connect()
            let pid = try #require(connection.processID)
            await connection.close()
            await connection.close()
            #expect(connection.isClosed)
            let error = await #expect(throws: PGError.self) { try await connection.simpleQuery("SELECT 1") }
            #expect(error?.code == .closed)
            // Terminate reached the server: the backend is gone.
            let observer = try await Integration.connect()
            defer { Task { await observer.close() } }
            var remaining = 50
            while remaining > 0 {
                let rows = try await observer.simpleQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)")[0].rows
                if rows[0].text(at: 0) == "0" { break }
                remaining -= 1
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(remaining > 0)
        }

        @Test func backendTerminatedMidQueryGivesTypedError() async throws {
            let victim = try await Integration.connect()
            let killer = try await Integration.connect()
            defer { Task { await killer.close() } }
            let pid = try #require(victim.processID)
            let started = ContinuousClock.now
            async let outcome: Result<[SimpleQueryResult], any Error> = {
                do { return .success(try await victim.simpleQuery("SELECT pg_sleep(30)")) } catch { return .failure(error) }
            }()
            // Wait until the sleep is running, then terminate that backend.
            var running = false
            for _ in 0..<200 where !running {
                let rows = try await killer.simpleQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND query LIKE 'SELECT pg_sleep%' AND state = 'active'")[0].rows
                running = rows[0].text(at: 0) == "1"
                if !running { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(running)
            _ = try await killer.simpleQuery("SELECT pg_terminate_backend(\(pid))")
            let result = await outcome
            #expect(ContinuousClock.now - started < .seconds(10))
            guard case .failure(let failure) = result, let error = failure as? PGError else {
                Issue.record("expected a PGError, got \(result)")
                return
            }
            #expect(error.code == .serverClosedConnection)
            #expect(error.sqlState == PGSQLState.adminShutdown)
            #expect(victim.isClosed)
            let after = await #expect(throws: PGError.self) { try await victim.simpleQuery("SELECT 1") }
            #expect(after?.code == .closed)
        }

        @Test func closeInterruptsARunningQuery() async throws {
            let connection = try await Integration.connect()
            async let outcome: Result<[SimpleQueryResult], any Error> = {
                do { return .success(try await connection.simpleQuery("SELECT pg_sleep(30)")) } catch { return .failure(error) }
            }()
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            await connection.close()
            let result = await outcome
            #expect(ContinuousClock.now - started < .seconds(5))
            guard case .failure(let failure) = result else {
                Issue.record("the query should have failed")
                return
            }
            #expect((failure as? PGError)?.code == .closed)
        }
    }
}
