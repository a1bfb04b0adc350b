import PGWire

/// Applies the embedded migrations that a schema lacks.
///
/// Everything happens under a session advisory lock keyed by the schema name, so any number of
/// processes may call it at once: the first applies the files, the others wait and then find
/// nothing left to do. Each file runs in its own transaction with the store's schema first on
/// the `search_path`, exactly as `psql -1 -f` applies it, and records its version itself.
struct Migrator {
    let schema: StoreSchema
    let migrations: [Migration]

    init(schema: StoreSchema, migrations: [Migration] = Migration.embedded) {
        self.schema = schema
        self.migrations = migrations
    }

    /// The schema's version: the highest applied migration, 0 for none.
    func currentVersion(_ connection: PGConnection) async throws -> Int {
        let table = schema.quoted + ".schema_migrations"
        var exists = false
        for try await row in try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL") {
            exists = try row.decode(Bool.self, at: 0)
        }
        guard exists else { return 0 }
        var version = 0
        for try await row in try await connection.query("SELECT coalesce(max(version), 0) FROM \(unescaped: table)") {
            version = Int(try row.decode(Int32.self, at: 0))
        }
        return version
    }

    /// Applies what is missing and returns the schema's version afterwards.
    /// - Throws: ``EventStoreError/Code/schemaTooNew`` when the schema was migrated by a newer
    ///   library; ``EventStoreError/Code/migrationFailed`` naming the file that failed.
    @discardableResult
    func migrate(_ connection: PGConnection) async throws -> Int {
        let (classID, objectID) = schema.migrationLockKey
        _ = try await connection.execute("SELECT pg_advisory_lock(\(classID), \(objectID))")
        do {
            let version = try await migrateLocked(connection)
            _ = try await connection.execute("SELECT pg_advisory_unlock(\(classID), \(objectID))")
            return version
        } catch {
            // A broken connection released the lock with its session; otherwise release it.
            if !connection.isClosed {
                _ = try? await connection.execute("SELECT pg_advisory_unlock(\(classID), \(objectID))")
            }
            throw error
        }
    }

    private func migrateLocked(_ connection: PGConnection) async throws -> Int {
        _ = try await connection.simpleQuery("CREATE SCHEMA IF NOT EXISTS \(schema.quoted)")
        var version = try await currentVersion(connection)
        let latest = migrations.last?.version ?? 0
        if version > latest {
            throw EventStoreError(
                .schemaTooNew,
                "schema \(schema.name) is at version \(version), newer than this library knows (\(latest)): upgrade PGEventStore")
        }
        for migration in migrations where migration.version > version {
            do {
                try await connection.withTransaction { connection in
                    _ = try await connection.simpleQuery("SET LOCAL search_path TO \(schema.quoted)")
                    _ = try await connection.simpleQuery(migration.sql)
                }
            } catch {
                throw EventStoreError(
                    .migrationFailed, "migration \(migration.fileName) failed: \(error)", underlying: error)
            }
            let recorded = try await currentVersion(connection)
            guard recorded == migration.version else {
                throw EventStoreError(
                    .migrationFailed,
                    "migration \(migration.fileName) did not record version \(migration.version) in schema_migrations (found \(recorded))")
            }
            version = recorded
        }
        return version
    }
}
