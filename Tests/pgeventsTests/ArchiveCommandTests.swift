import Foundation
import PGEventStore
import PGTestServer
import Testing

extension CLI {
    /// migrate --partition-size, archive and restore, as an operator runs them.
    @Suite struct ArchiveCommandTests {
        /// Every row of the schema's events as PostgreSQL prints them, in position order.
        static func rows(_ schema: String) throws -> String {
            try CLI.requireServer().psql("SELECT string_agg(e::text, E'\\n' ORDER BY position) FROM \(schema).events e")
        }

        @Test func partitionArchiveAndRestoreRoundTrip() async throws {
            let schema = CLI.freshSchema()
            let migrated = try await CLI.run(["migrate", "--partition-size", "100", "--partitions-ahead", "3"], schema: schema)
            #expect(migrated.status == 0, "\(migrated.stderr)")
            let latest = EventStore.latestSchemaVersion
            #expect(
                migrated.stdout == """
                    schema \(schema): version \(latest) (was 0)
                    schema \(schema): events now partitioned by 100 positions (4 partitions attached, 0 archived, 3 kept ahead)

                    """)
            let again = try await CLI.run(["migrate", "--partition-size", "100"], schema: schema)
            #expect(again.status == 0 && again.stdout.contains("events already partitioned by 100 positions"), "\(again.stderr)")
            let other = try await CLI.run(["migrate", "--partition-size", "50"], schema: schema)
            #expect(other.status == 1 && other.stderr.contains("already partitioned by 100 positions"))

            let store = try CLI.store(schema)
            defer { Task { await store.close() } }
            try await store.append(to: "arch-1", try CLI.events(150))
            try await store.append(to: "arch-2", try CLI.events(100))
            let before = try Self.rows(schema)

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgevents-cli-archive-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("old.pgevents").path
            let archived = try await CLI.run(["archive", "--before", "201", "--to", file], schema: schema)
            #expect(archived.status == 0, "\(archived.stderr)")
            #expect(archived.stdout == "archived 200 events in 2 partitions (positions 1 to 200) to \(file)\n")
            #expect(try await CLI.run(["read-all", "--from", "0"], schema: schema).lines.count == 50)
            let nothing = try await CLI.run(["archive", "--before", "201", "--to", file + ".2"], schema: schema)
            #expect(nothing.status == 0 && nothing.stdout.hasPrefix("no whole partition below position 201"))
            #expect(!FileManager.default.fileExists(atPath: file + ".2"))

            let restored = try await CLI.run(["restore", file], schema: schema)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(restored.stdout == "restored 200 events in 2 partitions from \(file)\n")
            #expect(try Self.rows(schema) == before)
            let twice = try await CLI.run(["restore", file], schema: schema)
            #expect(twice.status == 1 && twice.stderr.contains("is not archived"), "\(twice.stderr)")
            #expect(try Self.rows(schema) == before)
        }

        @Test func archiveNeedsAPartitionedStoreAndRestoreAnArchive() async throws {
            let schema = try await CLI.migratedSchema()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgevents-cli-archive-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("a.pgevents").path
            let archive = try await CLI.run(["archive", "--before", "100", "--to", file], schema: schema)
            #expect(archive.status == 1 && archive.stderr.contains("not partitioned"), "\(archive.stderr)")
            #expect(!FileManager.default.fileExists(atPath: file))
            _ = try await CLI.run(["migrate", "--partition-size", "10"], schema: schema)
            try "not an archive\n".write(toFile: file, atomically: true, encoding: .utf8)
            let restore = try await CLI.run(["restore", file], schema: schema)
            #expect(restore.status == 1 && restore.stderr.contains("is not a whole partition archive"), "\(restore.stderr)")
        }
    }
}
