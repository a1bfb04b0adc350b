#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A named subscription as the store records it: where each share stands, how far behind the
/// head it is, and which backend runs it.
public struct SubscriptionInfo: Sendable, Hashable {
    /// One share (partition) of the subscription; a subscription without a group has one.
    public struct Share: Sendable, Hashable {
        /// 0 ..< ``SubscriptionInfo/partitions``.
        public var index: Int
        /// Where the share resumes: after the last event handled, or `(barrier, 0)` once it
        /// found nothing more below the read barrier (every transaction below it handled,
        /// including those whose events its filter skips).
        public var checkpoint: GlobalPosition
        /// When the checkpoint last moved.
        public var updatedAt: Date
        /// Events handled (as the runner counted them when saving).
        public var eventsHandled: Int64
        /// Events of this share below the read barrier and after the checkpoint.
        public var lagEvents: Int64
        /// How long the oldest of those has been waiting (0 when none).
        public var lagSeconds: Double
        /// The backend that holds this share's lock, nil when no runner holds it.
        public var runnerPID: Int32?
        /// That backend's `application_name`, as `pg_stat_activity` shows it.
        public var runnerApplication: String?
        /// That backend's client address (nil over a Unix socket).
        public var runnerAddress: String?
    }

    /// The subscription's name.
    public var name: String
    /// The shares it was created with.
    public var partitions: Int
    /// The filter its runner last started with.
    public var filter: SubscriptionFilter
    /// Its shares, by index.
    public var shares: [Share]

    /// The lowest checkpoint of its shares.
    public var checkpoint: GlobalPosition { shares.map(\.checkpoint).min() ?? .start }
    /// Events behind, over all shares.
    public var lagEvents: Int64 { shares.reduce(0) { $0 + $1.lagEvents } }
    /// The longest wait of any share's oldest unhandled event.
    public var lagSeconds: Double { shares.map(\.lagSeconds).max() ?? 0 }
    /// The distinct backends running it.
    public var runnerPIDs: [Int32] { Array(Set(shares.compactMap(\.runnerPID))).sorted() }
}
