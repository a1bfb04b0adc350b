import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct MigrationTests {
        @Test func migrateCreatesTheSchemaOnceAndReportsItsVersion() async throws {
            let store = try await StoreIntegration.freshStore(migrate: false)
            defer { Task { await store.close() } }
            #expect(try await store.schemaVersion() == 0)
            #expect(try await store.migrate() == EventStore.latestSchemaVersion)
            #expect(try await store.migrate() == EventStore.latestSchemaVersion)
            #expect(try await store.schemaVersion() == EventStore.latestSchemaVersion)
        }

        /// Eight stores (eight sessions, as eight processes would have) migrate one empty
        /// schema at the same moment: each succeeds and every file is applied once.
        @Test func eightConcurrentMigrationsApplyEachFileOnce() async throws {
            let schema = "t_concurrent_" + String(UUID().uuidString.prefix(6)).lowercased()
            let configuration = EventStore.Configuration(
                connection: try StoreIntegration.connectionConfiguration(), schema: schema)
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let store = try EventStore(configuration)
                        defer { Task { await store.close() } }
                        return try await store.migrate()
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions == Array(repeating: EventStore.latestSchemaVersion, count: 8))
            let server = try StoreIntegration.requireServer()
            let applied = try server.psql("SELECT count(*), count(DISTINCT version) FROM \(schema).schema_migrations")
            #expect(applied == "\(EventStore.latestSchemaVersion)|\(EventStore.latestSchemaVersion)")
        }

        @Test func aSchemaNewerThanTheLibraryIsRefused() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            let server = try StoreIntegration.requireServer()
            let schema = store.configuration.schema
            try server.psql("INSERT INTO \(schema).schema_migrations (version, name) VALUES (999, 'from the future')")
            await #expect {
                try await store.migrate()
            } throws: { error in
                guard let error = error as? EventStoreError else { return false }
                return error.code == .schemaTooNew && error.message.contains("999")
            }
        }

        /// The files under sql/ apply with psql alone, as a DBA would, into the same schema
        /// the library makes (same tables, columns and indexes).
        @Test func theSQLFilesApplyWithPsqlAndMatchTheLibrarysSchema() async throws {
            let server = try StoreIntegration.requireServer()
            let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../sql").standardized
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
            #expect(!files.isEmpty)
            let byHand = "t_psql_" + String(UUID().uuidString.prefix(6)).lowercased()
            for file in files {
                let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                try server.psql("CREATE SCHEMA IF NOT EXISTS \(byHand);\nSET search_path TO \(byHand);\nBEGIN;\n\(sql)\nCOMMIT;\n")
            }
            let library = "t_lib_" + String(UUID().uuidString.prefix(6)).lowercased()
            let store = try EventStore(.init(connection: try StoreIntegration.connectionConfiguration(), schema: library))
            defer { Task { await store.close() } }
            try await store.migrate()
            func shape(_ schema: String) throws -> String {
                try server.psql("""
                    SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':' || is_nullable, ',' ORDER BY table_name, ordinal_position)
                    FROM information_schema.columns WHERE table_schema = '\(schema)';
                    SELECT string_agg(indexname || '=' || replace(indexdef, '\(schema).', ''), ',' ORDER BY indexname)
                    FROM pg_indexes WHERE schemaname = '\(schema)';
                    SELECT string_agg(version || name, ',' ORDER BY version) FROM \(schema).schema_migrations;
                    """)
            }
            let handShape = try shape(byHand)
            #expect(handShape.contains("events.transaction_id:xid8"))
            #expect(handShape == (try shape(library)))
        }
    }
}
