/// Which events a subscription receives: every condition that is not empty must hold.
///
/// ```swift
/// let orders = SubscriptionFilter.category("order")
/// let placed = SubscriptionFilter(categories: ["order"], types: ["OrderPlaced", "OrderPaid"])
/// ```
public struct SubscriptionFilter: Sendable, Hashable, CustomStringConvertible {
    /// Stream categories (the stream name up to its first `-`); empty for every category.
    public var categories: [String]
    /// Whole stream names; empty for every stream.
    public var streams: [String]
    /// Event type names; empty for every type.
    public var types: [String]

    /// A filter from its conditions; all empty is ``all``.
    public init(categories: [String] = [], streams: [String] = [], types: [String] = []) {
        self.categories = categories
        self.streams = streams
        self.types = types
    }

    /// Every event in the store.
    public static let all = SubscriptionFilter()

    /// The events of streams in one category (`order` for `order-42`).
    public static func category(_ category: String) -> SubscriptionFilter { SubscriptionFilter(categories: [category]) }

    /// The events of one stream.
    public static func stream(_ stream: String) -> SubscriptionFilter { SubscriptionFilter(streams: [stream]) }

    /// The events of these types, in any stream.
    public static func types(_ types: String...) -> SubscriptionFilter { SubscriptionFilter(types: types) }

    /// True when `event` passes the filter (what the server's query selects, for checks).
    public func matches(_ event: RecordedEvent) -> Bool {
        (categories.isEmpty || categories.contains(String(event.category)))
            && (streams.isEmpty || streams.contains(event.stream)) && (types.isEmpty || types.contains(event.type))
    }

    /// `all`, or the conditions joined by `and`.
    public var description: String {
        var parts: [String] = []
        if !categories.isEmpty { parts.append("category in \(categories)") }
        if !streams.isEmpty { parts.append("stream in \(streams)") }
        if !types.isEmpty { parts.append("type in \(types)") }
        return parts.isEmpty ? "all" : parts.joined(separator: " and ")
    }
}
