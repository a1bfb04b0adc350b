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

        /// A store made by schema version 2 (jsonb data) with events in it: migrate() brings it
        /// to json, keeps every event and its order, and from then on data comes back byte for
        /// byte as appended (jsonb reordered keys and dropped spaces).
        @Test func version2StoresUpgradeToJSONKeepingTheirEvents() async throws {
            let server = try StoreIntegration.requireServer()
            let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../sql").standardized
            let schema = "t_v2_" + String(UUID().uuidString.prefix(6)).lowercased()
            for file in ["0001_create_store.sql", "0002_subscriptions.sql"] {
                let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                try server.psql("CREATE SCHEMA IF NOT EXISTS \(schema);\nSET search_path TO \(schema);\nBEGIN;\n\(sql)\nCOMMIT;\n")
            }
            // What a version-2 store holds: a head and two jsonb events.
            try server.psql("""
                SET search_path TO \(schema);
                INSERT INTO streams (stream_name, version) VALUES ('order-1', 2);
                INSERT INTO events (stream_name, stream_version, event_id, event_type, data, metadata) VALUES
                    ('order-1', 1, gen_random_uuid(), 'Placed', '{"total": 12, "a": 1}', '{"correlationId": "6f1c9f6e-31c5-4c1b-9a53-2f1f3e0b7a11"}'),
                    ('order-1', 2, gen_random_uuid(), 'Paid', '{"paid":true}', NULL);
                """)
            let store = try EventStore(.init(connection: try StoreIntegration.connectionConfiguration(), schema: schema))
            defer { Task { await store.close() } }
            #expect(try await store.schemaVersion() == 2)
            #expect(try await store.migrate() == EventStore.latestSchemaVersion)
            let types = try server.psql("""
                SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY column_name) FROM information_schema.columns
                WHERE table_schema = '\(schema)' AND table_name = 'events' AND column_name IN ('data', 'metadata');
                """)
            #expect(types.contains("data:json") && types.contains("metadata:json") && !types.contains("jsonb"), "\(types)")

            var old: [String] = []
            for try await event in store.readStream("order-1") { old.append("\(event.version) \(event.type) \(event.data.text)") }
            // As jsonb had printed them when the store was made.
            #expect(old == [#"1 Placed {"a": 1, "total": 12}"#, #"2 Paid {"paid": true}"#])

            let text = #"{"z":1,  "a" : [1,2] }"#
            try await store.append(to: "order-1", expected: .exact(2), [try NewEvent(type: "Shipped", data: PGRawJSON(text))])
            var data: [String] = []
            for try await event in store.readStream("order-1") { data.append(event.data.text) }
            #expect(data.last == text)
        }
    }
}
