import Foundation
import Testing

@testable import PGEventStore

/// The library applies the bytes of sql/ embedded in its binary: they must be exactly the
/// files, or a DBA applying sql/ by hand would get another schema than the library.
@Suite("Migration files") struct MigrationFilesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../sql").standardized

    @Test func embeddedMigrationsAreTheFilesUnderSQL() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(
            Migration.embedded.map(\.fileName) == files,
            "sql/ and Schema/EmbeddedMigrations.swift list different files: run scripts/embed-sql.sh")
        for migration in Migration.embedded {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(migration.fileName), encoding: .utf8)
            #expect(migration.sql == text, "\(migration.fileName) differs from its embedded copy: run scripts/embed-sql.sh")
        }
    }

    @Test func versionsAreNumberedFromOneWithoutGapsAndEachFileRecordsItsOwn() {
        #expect(Migration.embedded.map(\.version) == Array(1...Migration.embedded.count))
        #expect(Migration.latestVersion == Migration.embedded.count)
        for migration in Migration.embedded {
            #expect(migration.fileName.hasPrefix(String(format: "%04d_", migration.version)))
            #expect(
                migration.sql.contains("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), "),
                "\(migration.fileName) must record its version")
        }
    }
}
