import Foundation
import PGEventStore
import PGWire
import Synchronization
import Testing

extension StoreIntegration {
    /// Many writers, some of whose transactions take their id early and commit hundreds of
    /// milliseconds later (so later-numbered transactions commit first: the "gap" problem),
    /// and three subscribers running throughout: at-least-once, exactly-once, and an
    /// exactly-once consumer group of three members, one of which is killed and restarted
    /// midway. None may skip an event; the exactly-once ones may not apply one twice; each
    /// keeps the table's (transaction id, position) order (the group per stream).
    ///
    /// `PGEVENTS_TORTURE_EVENTS` sets the number of events (default 100,000).
    @Suite struct SubscriptionTortureTests {
        static let eventCount = ProcessInfo.processInfo.environment["PGEVENTS_TORTURE_EVENTS"].flatMap(Int.init) ?? 100_000
        static let writers = 8

        @Test func noSkipsNoDuplicatesOrderKept() async throws {
            let store = try await StoreIntegration.freshStore(maximumConnections: 12, copyThreshold: 1_000)
            defer { Task { await store.close() } }
            let schema = store.configuration.schema
            _ = try await store.pool.simpleQuery("""
                CREATE TABLE \(schema).exactly (seq bigserial PRIMARY KEY, position int8 NOT NULL);
                CREATE TABLE \(schema).grouped (seq bigserial PRIMARY KEY, position int8 NOT NULL, stream text NOT NULL,
                    version int8 NOT NULL, member int NOT NULL);
                """)
            let options = SubscriptionOptions(pollInterval: .milliseconds(200), rebalanceInterval: .milliseconds(200))
            let atLeastOnce = try store.subscribe("torture-alo", options: options)
            let seenAtLeastOnce = Mutex<[Int64]>([])
            let alo = Task {
                for try await event in atLeastOnce { seenAtLeastOnce.withLock { $0.append(event.position) } }
            }
            let exactly = try store.subscribe("torture-eo", options: options)
            let eo = Task {
                try await exactly.run { events, transaction in
                    _ = try await transaction.execute(
                        "INSERT INTO \(schema).exactly (position) SELECT unnest($1::int8[])", [events.map(\.position)])
                }
            }
            var groupOptions = options
            groupOptions.partitions = 6
            func member(_ number: Int32) throws -> (EventSubscription, Task<Void, any Error>) {
                let subscription = try store.subscribe("torture-group", options: groupOptions)
                let task = Task {
                    try await subscription.run { events, transaction in
                        _ = try await transaction.execute(
                            """
                            INSERT INTO \(schema).grouped (position, stream, version, member)
                            SELECT unnest($1::int8[]), unnest($2::text[]), unnest($3::int8[]), $4
                            """, [events.map(\.position), events.map(\.stream), events.map(\.version), number])
                    }
                }
                return (subscription, task)
            }
            var members = [try member(1), try member(2), try member(3)]

            let written = Counter()
            let writing = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<Self.writers {
                        group.addTask { try await Self.write(writer: writer, share: Self.eventCount / Self.writers, store: store, count: written) }
                    }
                    try await group.waitForAll()
                }
            }
            // Kill a group member a third of the way in (its task cancelled: its connection
            // closes mid-batch), and start it again a second later.
            try await waitUntil(.seconds(120)) { written.value >= Self.eventCount / 3 }
            members[1].1.cancel()
            _ = try? await members[1].1.value
            try await Task.sleep(for: .seconds(1))
            members[1] = try member(4)
            try await writing.value

            let table = try await store.pool.query(
                "SELECT position, stream_name, stream_version FROM \(schema).events ORDER BY transaction_id, position", []
            ).rows
            let order = try table.map { try $0.decode(Int64.self, at: 0) }
            #expect(order.count == Self.eventCount)
            // Everyone catches up, then stops.
            try await waitUntil(.seconds(120)) {
                let alo = seenAtLeastOnce.withLock { Set($0).count }
                let counts = try await store.pool.query(
                    "SELECT (SELECT count(*) FROM \(schema).exactly), (SELECT count(*) FROM \(schema).grouped)", []
                ).rows[0]
                let applied = try counts.decode(Int64.self, at: 0)
                let grouped = try counts.decode(Int64.self, at: 1)
                return alo >= order.count && applied >= order.count && grouped >= order.count
            }
            atLeastOnce.stop()
            exactly.stop()
            for (subscription, _) in members { subscription.stop() }
            try await alo.value
            try await eo.value
            for (_, task) in members.enumerated().filter({ $0.offset != 1 }).map(\.element) { try await task.value }
            try await members[1].1.value

            // At-least-once: every event, first deliveries in the table's order.
            let delivered = seenAtLeastOnce.withLock { $0 }
            var firstSeen = Set<Int64>()
            let firstOrder = delivered.filter { firstSeen.insert($0).inserted }
            #expect(firstOrder == order, "at-least-once: \(firstOrder.count) distinct of \(order.count)")
            // Exactly-once: each event once, in the table's order.
            let applied = try await store.pool.query("SELECT position FROM \(schema).exactly ORDER BY seq", []).rows
                .map { try $0.decode(Int64.self, at: 0) }
            #expect(applied == order, "exactly-once: \(applied.count) rows, \(Set(applied).count) distinct of \(order.count)")
            // The group: each event once; within each stream, in version order.
            let grouped = try await store.pool.query("SELECT position, stream, version, member FROM \(schema).grouped ORDER BY seq", []).rows
            let groupPositions = try grouped.map { try $0.decode(Int64.self, at: 0) }
            #expect(groupPositions.count == order.count && Set(groupPositions) == Set(order),
                    "group: \(groupPositions.count) rows, \(Set(groupPositions).count) distinct of \(order.count)")
            var lastVersion: [String: Int64] = [:]
            var outOfOrder = 0
            var membersSeen = Set<Int32>()
            for row in grouped {
                let stream = try row.decode(String.self, at: 1)
                let version = try row.decode(Int64.self, at: 2)
                membersSeen.insert(try row.decode(Int32.self, at: 3))
                if let last = lastVersion[stream], version <= last { outOfOrder += 1 }
                lastVersion[stream] = version
            }
            #expect(outOfOrder == 0)
            #expect(membersSeen.count >= 3, "members that handled events: \(membersSeen.sorted())")
            let parked = try await store.pool.query("SELECT count(*) FROM \(schema).subscription_parked", []).rows[0]
            #expect(try parked.decode(Int64.self, at: 0) == 0)
            print("torture: \(order.count) events, \(Self.writers) writers; at-least-once \(delivered.count) deliveries (\(delivered.count - order.count) repeated), exactly-once \(applied.count), group \(groupPositions.count) by members \(membersSeen.sorted())")
        }

        /// One writer's share of the events: mostly store appends of 1 to 40 events to one of
        /// 64 streams, and one time in twenty a transaction that takes its id, waits 100 to
        /// 400 ms and then writes a stream of its own directly (so it commits after
        /// later-numbered transactions).
        static func write(writer: Int, share: Int, store: EventStore, count: Counter) async throws {
            var remaining = share
            var lateStreams = 0
            var generator = SystemRandomNumberGenerator()
            let connection = try await StoreIntegration.connect()
            defer { Task { await connection.close() } }
            let schema = store.configuration.schema
            while remaining > 0 {
                let size = min(remaining, Int.random(in: 1...40, using: &generator))
                if Int.random(in: 0..<20, using: &generator) == 0 {
                    lateStreams += 1
                    let stream = "late\(writer)-\(lateStreams)"
                    try await connection.withTransaction { transaction in
                        _ = try await transaction.query("SELECT pg_current_xact_id()", []).collect()
                        try await Task.sleep(for: .milliseconds(Int.random(in: 100...400, using: &generator)))
                        _ = try await transaction.execute("""
                            INSERT INTO \(schema).events (stream_name, stream_version, event_id, event_type, data)
                            SELECT $1, v, gen_random_uuid(), 'Late', '{}' FROM generate_series(1, $2::int8) AS v
                            """, [stream, Int64(size)])
                    }
                } else {
                    let category = ["order", "user", "cart", "ship"][Int.random(in: 0..<4, using: &generator)]
                    try await store.append(
                        to: "\(category)-\(Int.random(in: 0..<16, using: &generator))", try StoreIntegration.events(size))
                }
                remaining -= size
                count.add(size)
            }
        }
    }
}
