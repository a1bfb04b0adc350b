import Testing

@testable import PGEventStore

/// The subscription's pure parts: share assignment, the notification payload, the backoff,
/// the options' bounds, the filter's matching.
@Suite struct SubscriptionPureTests {
    @Test func sharesAreDividedAmongMembersInJoinOrder() {
        // One member takes everything; the second takes every other share; members beyond the
        // share count get none (they stand by).
        #expect(SubscriptionLocks.assignment(shareCount: 4, members: [7], me: 7) == [0, 1, 2, 3])
        #expect(SubscriptionLocks.assignment(shareCount: 4, members: [7, 3], me: 7) == [0, 2])
        #expect(SubscriptionLocks.assignment(shareCount: 4, members: [7, 3], me: 3) == [1, 3])
        #expect(SubscriptionLocks.assignment(shareCount: 1, members: [7, 3], me: 3) == [])
        #expect(SubscriptionLocks.assignment(shareCount: 3, members: [1, 2, 3, 4], me: 4) == [])
        #expect(SubscriptionLocks.assignment(shareCount: 4, members: [1, 2], me: 9) == [])
        // Every share has exactly one owner, whatever the member count.
        for members in 1...7 {
            let ids = (0..<members).map { Int32($0 * 10) }
            let owned = ids.flatMap { SubscriptionLocks.assignment(shareCount: 6, members: ids, me: $0) }
            #expect(owned.sorted() == Array(0..<6), "\(members) members")
        }
    }

    @Test func notificationPayloadsGiveTheirTransaction() {
        #expect(SubscriptionEngine.transaction(in: #"{"transaction_id":12345,"position":9}"#) == 12345)
        #expect(SubscriptionEngine.transaction(in: #"{"position":9}"#) == nil)
        #expect(SubscriptionEngine.transaction(in: #"{"transaction_id":x}"#) == nil)
        // More digits than a UInt64 holds stop at 19 rather than overflow.
        #expect(SubscriptionEngine.transaction(in: #"{"transaction_id":123456789012345678901234}"#) == 1_234_567_890_123_456_789)
        #expect(SubscriptionEngine.transaction(in: "") == nil)
    }

    @Test func lockKeysDependOnSchemaAndName() {
        let schema = try! StoreSchema("pgevents")
        let a = SubscriptionLocks(schema: schema, subscription: "a")
        let b = SubscriptionLocks(schema: schema, subscription: "b")
        let other = SubscriptionLocks(schema: try! StoreSchema("other"), subscription: "a")
        #expect(a.shareClass != b.shareClass && a.shareClass != other.shareClass && a.shareClass != a.memberClass)
        #expect(SubscriptionLocks(schema: schema, subscription: "a").shareClass == a.shareClass)
        #expect(SubscriptionLocks.oid(-1) == 4_294_967_295)
    }

    @Test func optionsOutsideTheirBoundsAreRefused() {
        var options = SubscriptionOptions()
        #expect(throws: Never.self) { try options.validate() }
        options.batchSize = 0
        #expect(throws: EventStoreError.self) { try options.validate() }
        options = SubscriptionOptions(partitions: 0)
        #expect(throws: EventStoreError.self) { try options.validate() }
        options = SubscriptionOptions(retry: SubscriptionRetry(maxAttempts: 0))
        #expect(throws: EventStoreError.self) { try options.validate() }
        options = SubscriptionOptions(pollInterval: .zero)
        #expect(throws: EventStoreError.self) { try options.validate() }
    }

    @Test func fetchStatementCarriesOnlyTheFiltersGiven() {
        let statements = SubscriptionStatements(schema: try! StoreSchema("s"))
        let all = statements.fetch(.all, shareCount: 1)
        #expect(!all.contains("ANY("))
        #expect(all.contains("transaction_id < b.barrier"))
        let filtered = statements.fetch(SubscriptionFilter(categories: ["c"], types: ["t"]), shareCount: 3)
        #expect(filtered.contains("split_part(stream_name, '-', 1) = ANY($4::text[])"))
        #expect(filtered.contains("event_type = ANY($5::text[])"))
        #expect(filtered.contains("= ANY($6::int4[])"))
        #expect(SubscriptionStatements.fetchValues(SubscriptionFilter(categories: ["c"], types: ["t"]), shares: [1], shareCount: 3).count == 3)
    }
}
