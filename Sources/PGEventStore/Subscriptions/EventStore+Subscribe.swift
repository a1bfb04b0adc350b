import Synchronization

extension EventStore {
    /// A named subscription: it resumes after its checkpoint (or starts at
    /// ``SubscriptionOptions/start`` the first time), then follows new events. Nothing happens
    /// until it is iterated or ``EventSubscription/run(_:)`` is called.
    ///
    /// - Parameters:
    ///   - name: the checkpoint's name, and what ``append(_:waitFor:timeout:)``,
    ///     `pgevents subscriptions` and ``resetSubscription(_:to:)`` know it by. One runner per
    ///   share across processes.
    ///   - filter: which events it receives (by category, stream and type).
    ///   - options: how it starts, fetches, checkpoints and shares its work.
    /// - Throws: ``EventStoreError/Code/invalidArgument`` for an empty name or unusable options,
    ///   or behind a transaction pooler without ``Configuration/sessionConnection`` (a
    ///   subscription LISTENs and holds advisory locks).
    public func subscribe(
        _ name: String, filter: SubscriptionFilter = .all, options: SubscriptionOptions = SubscriptionOptions()
    ) throws -> EventSubscription {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw EventStoreError(.invalidArgument, "a subscription name must not be empty or contain NUL")
        }
        try options.validate()
        guard !closed.load(ordering: .acquiring) else { throw Self.storeClosed() }
        _ = try sessionConfiguration(for: "subscription \(name)")
        return EventSubscription(store: self, name: name, filter: filter, options: options)
    }

    /// An unnamed follower (what `pgevents tail` runs): no checkpoint and no lock, every
    /// caller gets every event from ``SubscriptionOptions/start`` (default: the end) on, and
    /// it survives lost connections from its place in memory.
    /// - Throws: ``EventStoreError/Code/invalidArgument`` for unusable options, or behind a
    ///   transaction pooler without ``Configuration/sessionConnection`` (a follower LISTENs).
    public func follow(
        filter: SubscriptionFilter = .all, options: SubscriptionOptions = SubscriptionOptions(start: .end)
    ) throws -> EventSubscription {
        var options = options
        options.partitions = 1
        try options.validate()
        guard !closed.load(ordering: .acquiring) else { throw Self.storeClosed() }
        _ = try sessionConfiguration(for: "a follower")
        return EventSubscription(store: self, name: nil, filter: filter, options: options)
    }
}
