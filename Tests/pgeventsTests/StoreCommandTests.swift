import Foundation
import PGTestServer
import PGEventStore
import Testing

extension CLI {
    /// migrate, append, read, status against a server given by --url.
    @Suite struct StoreCommandTests {
        @Test func migratePrintsTheVersionAndIsRepeatable() async throws {
            let schema = CLI.freshSchema()
            let first = try await CLI.run(["migrate"], schema: schema)
            #expect(first.status == 0)
            let latest = EventStore.latestSchemaVersion
            #expect(first.stdout == "schema \(schema): version \(latest) (was 0)\n")
            let second = try await CLI.run(["migrate"], schema: schema)
            #expect(second.stdout == "schema \(schema): version \(latest) (was \(latest))\n")
        }

        @Test func appendPrintsVersionAndPositionsAndReadPrintsEveryField() async throws {
            let schema = try await CLI.migratedSchema()
            let id = "0190f3b4-5c2e-7d11-8a3b-1c2d3e4f5a6b"
            let correlation = "6f1c1a5e-3a52-4b7a-9d0e-4c1f6c1e2a10"
            let appended = try await CLI.run(
                [
                    "append", "order-7", "--type", "OrderPlaced", "--data", #"{"total": 12.50, "big": 123456789012345678901}"#,
                    "--metadata", #"{"correlationId": "\#(correlation)", "tenant": "acme"}"#, "--event-id", id,
                    "--expected", "no-stream",
                ], schema: schema)
            #expect(appended.status == 0, "\(appended.stderr)")
            let result = try #require(try appended.jsonLines().first)
            #expect(result["stream"] as? String == "order-7")
            #expect(result["version"] as? Int == 1)
            #expect((result["positions"] as? [Int])?.count == 1)
            #expect(result["transaction_id"] as? Int != nil)

            let second = try await CLI.run(["append", "order-7", "--type", "OrderPaid", "--data", "{}", "--expected", "1"], schema: schema)
            #expect(second.status == 0, "\(second.stderr)")

            let read = try await CLI.run(["read", "order-7"], schema: schema)
            #expect(read.status == 0)
            let events = try read.jsonLines()
            #expect(events.count == 2)
            let first = events[0]
            #expect(first["id"] as? String == id)
            #expect(first["stream"] as? String == "order-7")
            #expect(first["version"] as? Int == 1)
            #expect(first["position"] as? Int == (result["positions"] as? [Int])?.first)
            #expect(first["transaction_id"] as? Int == result["transaction_id"] as? Int)
            #expect(first["type"] as? String == "OrderPlaced")
            // The data as jsonb returned it: every digit of the big number kept.
            #expect(read.lines[0].contains("123456789012345678901"))
            let metadata = try #require(first["metadata"] as? [String: Any])
            #expect(metadata["correlationId"] as? String == correlation)
            #expect(metadata["tenant"] as? String == "acme")
            let createdAt = try #require(first["created_at"] as? String)
            #expect(createdAt.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil)

            let last = try await CLI.run(["read", "order-7", "--backward", "--limit", "1"], schema: schema)
            #expect(try last.jsonLines().map { $0["version"] as? Int } == [2])
            let fromTwo = try await CLI.run(["read", "order-7", "--from", "2"], schema: schema)
            #expect(try fromTwo.jsonLines().map { $0["type"] as? String } == ["OrderPaid"])
            #expect(try await CLI.run(["read", "never-written"], schema: schema).stdout.isEmpty)
        }

        @Test func aVersionConflictExitsWithStatusThreeAndWritesNothing() async throws {
            let schema = try await CLI.migratedSchema()
            #expect(try await CLI.run(["append", "cart-1", "--type", "Added", "--data", "{}"], schema: schema).status == 0)
            for expected in ["no-stream", "5", "0"] {
                let conflict = try await CLI.run(
                    ["append", "cart-1", "--type", "Added", "--data", "{}", "--expected", expected], schema: schema)
                #expect(conflict.status == 3, "\(expected): \(conflict.stderr)")
                #expect(conflict.stdout.isEmpty)
                #expect(conflict.stderr.split(separator: "\n").count == 1)
                #expect(conflict.stderr.contains("version conflict on stream cart-1"))
                #expect(conflict.stderr.contains("actual 1"))
            }
            let missing = try await CLI.run(["append", "cart-2", "--type", "Added", "--data", "{}", "--expected", "exists"], schema: schema)
            #expect(missing.status == 3)
            #expect(try await CLI.run(["read", "cart-1"], schema: schema).lines.count == 1)
            #expect(try await CLI.run(["read", "cart-2"], schema: schema).lines.isEmpty)
        }

        @Test func statusPrintsTextAndJSON() async throws {
            let schema = CLI.freshSchema()
            let unmigrated = try await CLI.run(["status"], schema: schema)
            #expect(unmigrated.status == 0)
            #expect(unmigrated.stdout.contains("not migrated"))

            #expect(try await CLI.run(["migrate"], schema: schema).status == 0)
            for stream in ["a-1", "a-2", "b-1"] {
                #expect(try await CLI.run(["append", stream, "--type", "T", "--data", "{}"], schema: schema).status == 0)
            }
            let text = try await CLI.run(["status"], schema: schema)
            #expect(text.status == 0)
            for label in ["schema:", "head:", "events:", "streams:", "barrier holder:"] {
                #expect(text.stdout.contains(label))
            }
            // sslmode=prefer (the default) found the server's TLS.
            #expect(text.stdout.contains("connection:       TLS (TLSv1.3"), "\(text.stdout)")

            let json = try await CLI.run(["status", "--json"], schema: schema)
            #expect(json.status == 0)
            #expect(json.lines.count == 1)
            let status = try #require(try json.jsonLines().first)
            #expect(status["schema"] as? String == schema)
            #expect(status["schema_version"] as? Int == EventStore.latestSchemaVersion)
            #expect(status["event_count"] as? Int == 3)
            #expect(status["stream_count"] as? Int == 3)
            #expect(status["barrier_holder"] is NSNull)
            #expect((status["tls"] as? [String: Any])?["version"] as? String == "TLSv1.3")
            let last = try #require(try await CLI.run(["read-all"], schema: schema).jsonLines().last)
            let head = "\(last["transaction_id"] as? Int ?? -1)/\(last["position"] as? Int ?? -1)"
            #expect(status["head"] as? String == head)
            #expect(status["head_position"] as? Int == last["position"] as? Int)
        }

        @Test func statusSaysWhetherTheConnectionIsEncryptedAndVerifyFullWorks() async throws {
            let server = try CLI.requireServer()
            let tls = try #require(server.tls)
            let schema = try await CLI.migratedSchema()
            let base = "postgresql://\(server.superuser)@localhost:\(server.port)/\(server.database)"
            let plain = try await PGEventsProcess.run(["status", "--json", "--url", base + "?sslmode=disable", "--schema", schema])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(try #require(try plain.jsonLines().first)["tls"] is NSNull)

            let verified = try await PGEventsProcess.run(
                ["status", "--url", base + "?sslmode=verify-full&sslrootcert=\(tls.certificateAuthority)", "--schema", schema])
            #expect(verified.status == 0, "\(verified.stderr)")
            #expect(verified.stdout.contains("TLS (TLSv1."), "\(verified.stdout)")

            // The wrong CA: one line on stderr saying what failed, exit status 1.
            let untrusted = try await PGEventsProcess.run(
                ["status", "--url", base + "?sslmode=verify-full&sslrootcert=\(tls.otherCertificateAuthority)", "--schema", schema])
            #expect(untrusted.status == 1)
            #expect(untrusted.stderr.contains("certificate"), "\(untrusted.stderr)")
            // The same settings from PGSSLMODE and PGSSLROOTCERT.
            var environment = PGEventsProcess.baseEnvironment
            environment["PGSSLMODE"] = "verify-full"
            environment["PGSSLROOTCERT"] = tls.certificateAuthority
            let fromEnvironment = try await PGEventsProcess.run(["status", "--url", base, "--schema", schema], environment: environment)
            #expect(fromEnvironment.status == 0 && fromEnvironment.stdout.contains("TLS (TLSv1."), "\(fromEnvironment.stderr)")
        }

        @Test func aStoreThatWasNeverMigratedGivesAClearServerError() async throws {
            let result = try await CLI.run(["read", "x-1"], schema: CLI.freshSchema())
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains("SQLSTATE 42P01"))
            #expect(result.stderr.contains("pgevents migrate"))
        }

        @Test func anUnreachableServerIsOneLineAndStatusOne() async throws {
            let result = try await PGEventsProcess.run(["status", "--url", "postgresql://nobody@127.0.0.1:1/none"])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("pgevents: error: "))
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }
}
