import PGWire

/// Events read page by page: one query per page on a lent connection, so a read of any length
/// holds one page in memory and no connection between pages.
public struct EventPages: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    /// Fetches the page after `cursor` (nil: the first page), at most `limit` events.
    typealias Fetch = @Sendable (_ cursor: RecordedEvent?, _ limit: Int) async throws -> [RecordedEvent]

    let pageSize: Int
    /// The most events to deliver in all; nil for no limit.
    let limit: Int?
    let fetch: Fetch

    /// Fetches a page when the previous one is used up; a page shorter than asked for is the
    /// last.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: EventPages
        var page: [RecordedEvent] = []
        var index = 0
        var delivered = 0
        var last: RecordedEvent?
        var exhausted = false

        public mutating func next() async throws -> RecordedEvent? {
            if index == page.count {
                let wanted = sequence.limit.map { Swift.min(sequence.pageSize, $0 - delivered) } ?? sequence.pageSize
                guard !exhausted, wanted > 0 else { return nil }
                page = try await sequence.fetch(last, wanted)
                // More than asked for would run past `limit`: the query's LIMIT did not hold.
                guard page.count <= wanted else {
                    throw EventStoreError(.unexpectedResult, "asked for a page of \(wanted) events, the server sent \(page.count)")
                }
                index = 0
                // A short page is the last one.
                if page.count < wanted { exhausted = true }
                if page.isEmpty { return nil }
            }
            let event = page[index]
            index += 1
            delivered += 1
            last = event
            return event
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequence: self) }

    /// Every event, collected (for short reads).
    public func collect() async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        for try await event in self { events.append(event) }
        return events
    }
}
