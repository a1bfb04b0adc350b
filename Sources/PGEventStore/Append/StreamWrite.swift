/// Events for one stream within an append, with that stream's expectation.
public struct StreamWrite: Sendable, Hashable {
    /// The stream's name. Its category is the part before the first `-`.
    public var stream: String
    /// What the stream's version must be for the append to go ahead.
    public var expected: ExpectedVersion
    /// The events, in order; at least one.
    public var events: [NewEvent]

    /// Events for `stream`, appended when its version matches `expected` (by default
    /// ``ExpectedVersion/any``: no check). The append, not this initializer, rejects an empty
    /// `events` (``EventStoreError/Code/invalidArgument``).
    public init(stream: String, expected: ExpectedVersion = .any, events: [NewEvent]) {
        self.stream = stream
        self.expected = expected
        self.events = events
    }
}

/// What an append wrote.
public struct AppendResult: Sendable, Hashable {
    /// Each written stream's version after the append, by stream name.
    public var versions: [String: Int64]
    /// The global position of each event, in the order the events were given (stream by
    /// stream, as in the writes).
    public var positions: [Int64]
    /// The transaction that wrote the events: with a position, their place in the global
    /// order (see ``GlobalPosition``).
    public var transactionID: UInt64
    /// The WAL position at or after the append's commit record
    /// (`pg_current_wal_insert_lsn()` just after the commit), as a 64-bit LSN: a standby that
    /// has replayed this far sees the events. Set when the store reads from a pool of its own
    /// (``EventStore/Configuration/readConnection``), for ``EventStore/waitForReplay(of:timeout:)``
    /// and ``EventStore/Configuration/readYourWrites``; nil otherwise.
    public var commitLSN: UInt64?

    /// A result with the given values, for instance to stand in for an append in tests; the store
    /// makes its own.
    public init(versions: [String: Int64], positions: [Int64], transactionID: UInt64, commitLSN: UInt64? = nil) {
        self.versions = versions
        self.positions = positions
        self.transactionID = transactionID
        self.commitLSN = commitLSN
    }
}
