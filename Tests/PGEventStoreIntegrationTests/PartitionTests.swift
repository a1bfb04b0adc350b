import Foundation
import PGEventStore
import PGTestServer
import PGWire
import Testing

extension StoreIntegration {
    /// The opt-in partitioned events table (sql/partitioned/partition_events.sql), with
    /// partitions of 100 positions so that a few hundred events cross several.
    @Suite struct PartitionTests {
        /// A migrated store, partitioned before or after `before` events were appended.
        static func partitionedStore(
            size: Int64 = 100, ahead: Int = 1, copyThreshold: Int = 256, _ name: String = #function
        ) async throws -> EventStore {
            let store = try await StoreIntegration.freshStore(name, copyThreshold: copyThreshold)
            try await store.partition(size: size, ahead: ahead)
            return store
        }

        /// Every row of the store's events, as PostgreSQL prints them, in position order.
        static func rows(_ store: EventStore, where condition: String = "true") throws -> String {
            try StoreIntegration.requireServer().psql(
                "SELECT string_agg(e::text, E'\\n' ORDER BY position) FROM \(store.configuration.schema).events e WHERE \(condition)")
        }

        /// How many rows each partition holds.
        static func rowsPerPartition(_ store: EventStore) throws -> String {
            try StoreIntegration.requireServer().psql(
                "SELECT string_agg(t || '=' || n, ',' ORDER BY t) FROM (SELECT tableoid::regclass::text AS t, count(*) AS n FROM \(store.configuration.schema).events GROUP BY 1) p")
        }

        static func mixedEvents(_ count: Int, first: Int = 0) throws -> [StreamWrite] {
            // Three streams, events with and without metadata, so that rows differ in every column.
            var writes: [String: [NewEvent]] = [:]
            for n in first..<(first + count) {
                var event = try NewEvent(type: n % 2 == 0 ? "Even" : "Odd", data: PGRawJSON(#"{"n":  \#(n)}"#))
                if n % 3 == 0 { event.metadata = EventMetadata(correlationID: UUID()) }
                writes["mix-\(n % 3)", default: []].append(event)
            }
            return writes.keys.sorted().map { StreamWrite(stream: $0, expected: .any, events: writes[$0]!) }
        }

        @Test func partitioningAStoreKeepsEveryRowAndMigrateStillWorks() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            try await store.append(try Self.mixedEvents(250))
            try await store.append(to: "single-1", expected: .noStream, try StoreIntegration.events(1))
            let before = try Self.rows(store)
            #expect(before.split(separator: "\n").count == 251)
            #expect(try await store.partitionLayout() == nil)

            let layout = try await store.partition(size: 100, ahead: 2)
            #expect(layout.size == 100 && layout.ahead == 2)
            // 251 positions: three partitions hold them, two more wait above.
            #expect(layout.partitions.map(\.lower) == [1, 101, 201, 301, 401])
            #expect(layout.partitions.allSatisfy { $0.upper == $0.lower + 100 && !$0.isArchived })
            #expect(try Self.rows(store) == before)
            let server = try StoreIntegration.requireServer()
            let schema = store.configuration.schema
            #expect(try server.psql("SELECT relkind FROM pg_class WHERE oid = '\(schema).events'::regclass") == "p")
            #expect(try server.psql("SELECT count(*) FROM \(schema).event_ids") == "251")

            // migrate() leaves a partitioned store as it is; partitioning twice is refused.
            #expect(try await store.migrate() == EventStore.latestSchemaVersion)
            #expect(try server.psql("SELECT relkind FROM pg_class WHERE oid = '\(schema).events'::regclass") == "p")
            await #expect { try await store.partition(size: 100) } throws: { ($0 as? EventStoreError)?.code == .partitioning }
            await #expect { try await store.partition(size: 0) } throws: { ($0 as? EventStoreError)?.code == .invalidArgument }
            // Positions go on from the sequence: no reuse after the conversion.
            let next = try await store.append(to: "single-1", expected: .exact(1), try StoreIntegration.events(1))
            #expect(next.positions == [252])
        }

        @Test func aStoreBelowTheLatestSchemaIsNotPartitioned() async throws {
            let store = try await StoreIntegration.freshStore(migrate: false)
            defer { Task { await store.close() } }
            await #expect { try await store.partition(size: 100) } throws: { ($0 as? EventStoreError)?.code == .partitioning }
            await #expect { try await store.ensurePartitions() } throws: { ($0 as? EventStoreError)?.code == .partitioning }
        }

        /// One batch of 300 (COPY) and one of 150 (one statement) each cross partition
        /// boundaries, more than the one partition kept ahead: the append makes the missing
        /// partitions and runs again, writing everything once.
        @Test(arguments: [false, true])
        func appendsCrossPartitionBoundariesInOneBatch(copy: Bool) async throws {
            let store = try await Self.partitionedStore(copyThreshold: copy ? 1 : 1_000)
            defer { Task { await store.close() } }
            let first = try await store.append(to: "big-1", expected: .noStream, try StoreIntegration.events(300))
            // Only [1, 101) and [101, 201) were there: the first attempt wrote nothing (its
            // positions from 1 stay unused), and the append ran again after making partitions
            // for 300 more positions.
            #expect(first.positions[0] > 200 && first.positions == Array(first.positions[0]..<(first.positions[0] + 300)))
            #expect(first.versions == ["big-1": 300])
            let second = try await store.append(to: "big-1", expected: .exact(300), try StoreIntegration.events(150, first: 300))
            #expect(second.versions == ["big-1": 450])
            // The positions burned by the failed first attempt leave a gap; none is written twice.
            #expect(second.positions.count == 150 && second.positions == second.positions.sorted())
            let schema = store.configuration.schema
            // Each row in the partition of its position: [1 + 100k, 101 + 100k).
            let expected = Dictionary(grouping: first.positions + second.positions) { ($0 - 1) / 100 * 100 + 1 }
                .sorted { "\($0.key)" < "\($1.key)" }.map { "\(schema).events_\($0.key)=\($0.value.count)" }
            #expect(expected.count >= 4)
            #expect(try Self.rowsPerPartition(store) == expected.joined(separator: ","))
            let read = try await store.readStream("big-1").collect()
            #expect(read.map(\.version) == Array(1...450))
            #expect(read.map(\.position) == first.positions + second.positions)
            let backward = try await store.readStream("big-1", from: 260, direction: .backward, limit: 20).collect()
            #expect(backward.map(\.version) == Array((241...260).reversed()))
            let all = try await store.readAll().collect()
            #expect(all.map(\.position) == first.positions + second.positions)
            let layout = try #require(try await store.partitionLayout())
            #expect(layout.partitions.last!.upper > second.positions.last! + 100, "a partition waits above the last append")
        }

        /// Single appends never wait for a partition: after each, a whole partition is ready
        /// above the one written (the append made it when it reached the horizon).
        @Test func singleAppendsKeepAPartitionAhead() async throws {
            let store = try await Self.partitionedStore()
            defer { Task { await store.close() } }
            for n in 0..<130 {
                let result = try await store.append(to: "one-\(n % 4)", try StoreIntegration.events(1, first: n))
                let layout = try #require(try await store.partitionLayout())
                #expect(layout.partitions.last!.upper - 100 > result.positions[0], "at position \(result.positions[0])")
            }
            #expect(try await store.readAll().collect().count == 130)
        }

        /// A retry of an append whose events sit in an old partition returns the stored result;
        /// the same ids with other content, or to another stream, are refused, through both
        /// paths (the statement and COPY).
        @Test(arguments: [false, true])
        func retriesOfEventsInAnOldPartition(copy: Bool) async throws {
            let store = try await Self.partitionedStore(copyThreshold: copy ? 2 : 1_000)
            defer { Task { await store.close() } }
            let old = try StoreIntegration.events(3, type: "Old")
            let original = try await store.append(to: "retry-1", expected: .noStream, old)
            try await store.append(to: "filler-1", try StoreIntegration.events(250))
            #expect(original.positions == [1, 2, 3])
            #expect(try await store.append(to: "retry-1", expected: .noStream, old) == original)
            let single = try await store.append(to: "retry-2", expected: .noStream, try StoreIntegration.events(1))
            let filler = try await store.append(to: "filler-1", try StoreIntegration.events(120))
            let storedSingle = try await store.readStream("retry-2").collect()[0]
            #expect((single.positions[0] - 1) / 100 < (filler.positions.last! - 1) / 100, "the single event is in an older partition")
            var changed = old
            changed[1].data = PGRawJSON(#"{"n": 99}"#)
            await #expect { try await store.append(to: "retry-1", expected: .noStream, changed) } throws: {
                ($0 as? EventStoreError)?.code == .idempotencyViolation
            }
            await #expect { try await store.append(to: "retry-9", expected: .any, old) } throws: {
                ($0 as? EventStoreError)?.code == .idempotencyViolation
            }
            // A reused id next to new ones, unchecked by any expectation: event_ids refuses it.
            await #expect {
                try await store.append(to: "retry-1", expected: .any, [old[0], try NewEvent(type: "New", data: PGRawJSON("{}"))])
            } throws: { ($0 as? EventStoreError)?.code == .idempotencyViolation }
            let retriedSingle = try NewEvent(id: storedSingle.id, type: storedSingle.type, data: storedSingle.data)
            #expect(try await store.append(to: "retry-2", expected: .noStream, [retriedSingle]) == single)
            #expect(try await store.readStream("retry-1").collect().map(\.version) == [1, 2, 3])
            #expect(try await store.readAll().collect().count == 374)
        }

        /// Two writers expecting the same version of one stream: one wins, the other gets a
        /// conflict, and no version is stored twice, though no index spans the partitions.
        @Test func aStreamVersionRaceIsStillRejected() async throws {
            let store = try await Self.partitionedStore(ahead: 2)
            defer { Task { await store.close() } }
            try await store.append(to: "race-1", expected: .noStream, try StoreIntegration.events(95))
            for round in 0..<10 {
                let version = Int64(95 + round * 2)
                @Sendable func attempt() async -> Result<AppendResult, any Error> {
                    do {
                        return .success(try await store.append(to: "race-1", expected: .exact(version), try StoreIntegration.events(2)))
                    } catch {
                        return .failure(error)
                    }
                }
                async let a = attempt()
                async let b = attempt()
                let results = await [a, b]
                #expect(results.filter { (try? $0.get()) != nil }.count == 1)
                let failure = try #require(results.compactMap { if case .failure(let e) = $0 { e } else { nil } }.first)
                #expect(AppendTests.conflict(failure, stream: "race-1", expected: "\(version)", actual: version + 2))
            }
            let server = try StoreIntegration.requireServer()
            let schema = store.configuration.schema
            #expect(
                try server.psql(
                    "SELECT count(*) FROM (SELECT 1 FROM \(schema).events GROUP BY stream_name, stream_version HAVING count(*) > 1) d") == "0")
            #expect(try await store.readStream("race-1").collect().map(\.version) == Array(1...115))
            // Within a partition, a duplicate that bypassed the heads still meets a unique index.
            #expect(throws: (any Error).self) {
                try server.psql("""
                    INSERT INTO \(schema).events (stream_name, stream_version, event_id, event_type, data)
                    SELECT stream_name, stream_version, gen_random_uuid(), 'Dup', '{}' FROM \(schema).events WHERE position = (SELECT max(position) FROM \(schema).events)
                    """)
            }
        }

        @Test func readAllAndASubscriptionCrossPartitions() async throws {
            let store = try await Self.partitionedStore()
            defer { Task { await store.close() } }
            try await store.append(try Self.mixedEvents(180))
            let subscription = try store.subscribe("across", options: SubscriptionOptions(batchSize: 64, pollInterval: .seconds(5)))
            let consumer = Task {
                var seen: [RecordedEvent] = []
                for try await event in subscription {
                    seen.append(event)
                    if seen.count == 360 { subscription.stop() }
                }
                return seen
            }
            for n in 0..<6 { try await store.append(try Self.mixedEvents(30, first: 180 + n * 30)) }
            let seen = try await withTimeout(.seconds(30)) { try await consumer.value }
            let table = try await store.readAll().collect()
            #expect(table.count == 360)
            #expect(seen.map(\.id) == table.map(\.id))
            let page = try await store.readAll(after: table[149].globalPosition, categories: ["mix"], limit: 100).collect()
            #expect(page.map(\.id) == Array(table[150..<250]).map(\.id))
        }

        /// ensure_event_partitions attaches new partitions while another session has an
        /// uncommitted append and an open read of events: it must not wait for them (creating
        /// them as PARTITION OF would take ACCESS EXCLUSIVE on events and wait here).
        @Test func makingPartitionsDoesNotWaitForAppendsOrReads() async throws {
            let store = try await Self.partitionedStore()
            defer { Task { await store.close() } }
            try await store.append(to: "lock-1", try StoreIntegration.events(10))
            let schema = store.configuration.schema
            let appender = try await StoreIntegration.connect()
            let maker = try await StoreIntegration.connect()
            defer { Task { await appender.close(); await maker.close() } }
            _ = try await appender.simpleQuery("""
                BEGIN;
                SELECT count(*) FROM \(schema).events;
                INSERT INTO \(schema).events (stream_name, stream_version, event_id, event_type, data) VALUES ('lock-2', 1, gen_random_uuid(), 'T', '{}');
                """)
            _ = try await maker.simpleQuery("""
                SET lock_timeout = '3s';
                SELECT setval(pg_get_serial_sequence('\(schema).events', 'position'), 450);
                SELECT \(schema).ensure_event_partitions();
                """)
            _ = try await appender.simpleQuery("COMMIT")
            let layout = try #require(try await store.partitionLayout())
            #expect(layout.partitions.last!.upper > 450 + 100)
        }

        /// Archive moves the old partitions to a file and drops them; restore brings back the
        /// identical rows. Meanwhile the archived events are gone from reads, their ids stay
        /// taken, and stream heads go on.
        @Test func archiveAndRestoreRoundTripWithIdenticalRows() async throws {
            let store = try await Self.partitionedStore(ahead: 3)
            defer { Task { await store.close() } }
            let firstAppend = try Self.mixedEvents(120)
            try await store.append(firstAppend)
            try await store.append(try Self.mixedEvents(130, first: 120))
            let before = try Self.rows(store)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgevents-archive-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("old.pgevents").path

            let archived = try await store.archivePartitions(before: 230, to: file)
            #expect(archived.partitions.map(\.table) == ["events_1", "events_101"])
            #expect(archived.events == 200)
            #expect(!FileManager.default.fileExists(atPath: file + ".partial"))
            let head = try #require(String(data: try Data(contentsOf: URL(fileURLWithPath: file)).prefix(40), encoding: .isoLatin1))
            #expect(head.hasPrefix("PGEVENTS ARCHIVE 1\nschema=\(EventStore.latestSchemaVersion)\n"))
            #expect(try await store.readAll().collect().map(\.position) == Array(201...250))
            #expect(try Self.rows(store) == before.split(separator: "\n").suffix(50).joined(separator: "\n"))
            let layout = try #require(try await store.partitionLayout())
            #expect(layout.partitions.filter(\.isArchived).map(\.lower) == [1, 101])
            // An archived id cannot be compared any more: a retry is refused, not doubled.
            await #expect { try await store.append([firstAppend[0]]) } throws: { ($0 as? EventStoreError)?.code == .duplicateEvent }
            // Archiving again finds nothing new; an existing file is never overwritten.
            #expect(try await store.archivePartitions(before: 230, to: folder.appendingPathComponent("none").path).partitions.isEmpty)
            let streamVersion = try #require(try await store.streamInfo("mix-0")).version
            let after = try await store.append(to: "mix-0", expected: .exact(streamVersion), try StoreIntegration.events(1))

            // A truncated copy of the file changes nothing.
            let truncated = folder.appendingPathComponent("truncated").path
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: truncated))
            await #expect { try await store.restorePartitions(from: truncated) } throws: { ($0 as? EventStoreError)?.code == .invalidArgument }
            #expect(try await store.readAll().collect().count == 51)

            let restored = try await store.restorePartitions(from: file)
            #expect(restored.events == 200 && restored.partitions.map(\.lower) == [1, 101])
            #expect(try Self.rows(store, where: "position <= 250") == before)
            #expect(try await store.readAll().collect().map(\.position) == Array(1...250) + after.positions)
            #expect(try await store.append([firstAppend[0]]).positions.count == firstAppend[0].events.count, "a retry finds the restored events")
            await #expect { try await store.restorePartitions(from: file) } throws: { ($0 as? EventStoreError)?.code == .partitioning }
            await #expect { try await store.archivePartitions(before: 230, to: file) } throws: {
                ($0 as? EventStoreError)?.code == .invalidArgument
            }
            #expect(try Self.rows(store, where: "position <= 250") == before)
        }

        /// A store that looked before another process partitioned the table (it stopped
        /// checking) still appends: the first append past the partitions made there makes more.
        @Test func aStoreOpenedBeforeAnotherPartitionedItKeepsAppending() async throws {
            let store = try await StoreIntegration.freshStore()
            defer { Task { await store.close() } }
            try await store.append(to: "early-1", try StoreIntegration.events(1))
            let other = try EventStore(.init(connection: try StoreIntegration.connectionConfiguration(), schema: store.configuration.schema))
            defer { Task { await other.close() } }
            try await other.partition(size: 100, ahead: 1)
            for n in 0..<5 { try await store.append(to: "early-1", try StoreIntegration.events(60, first: n * 60)) }
            #expect(try await store.readStream("early-1").collect().map(\.version) == Array(1...301))
            let layout = try #require(try await store.partitionLayout())
            #expect(layout.partitions.count >= 4)
        }

        /// A run that detached partitions and then failed (here: detached by hand) leaves them
        /// out of reads but not lost: the next archive writes and drops them with the rest.
        @Test func archivingAgainPicksUpPartitionsLeftDetached() async throws {
            let store = try await Self.partitionedStore(ahead: 3)
            defer { Task { await store.close() } }
            try await store.append(to: "left-1", try StoreIntegration.events(250))
            let schema = store.configuration.schema
            try StoreIntegration.requireServer().psql("ALTER TABLE \(schema).events DETACH PARTITION \(schema).events_1")
            #expect(try await store.readAll().collect().count == 150)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgevents-archive-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("a").path
            let archived = try await store.archivePartitions(before: 201, to: file)
            #expect(archived.partitions.map(\.lower) == [1, 101] && archived.events == 200)
            try await store.restorePartitions(from: file)
            #expect(try await store.readStream("left-1").collect().map(\.version) == Array(1...250))
        }

        /// Only full partitions are archived: the one appends write into, and those made ahead,
        /// stay whatever `before` says.
        @Test func archivingKeepsThePartitionsAppendsStillUse() async throws {
            let store = try await Self.partitionedStore(ahead: 2)
            defer { Task { await store.close() } }
            try await store.append(to: "keep-1", try StoreIntegration.events(150))
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgevents-archive-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let archived = try await store.archivePartitions(before: .max, to: folder.appendingPathComponent("a").path)
            #expect(archived.partitions.map(\.lower) == [1])
            try await store.append(to: "keep-1", expected: .exact(150), try StoreIntegration.events(200, first: 150))
            #expect(try await store.readStream("keep-1").collect().map(\.version) == Array(101...350))
        }
    }
}
