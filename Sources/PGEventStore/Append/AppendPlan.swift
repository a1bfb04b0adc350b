#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PGWire

/// An append's writes, validated and laid out column by column as the append statements bind
/// them (and as COPY writes them row by row).
struct AppendPlan: Sendable {
    // Per stream, in the order given.
    var names: [String] = []
    var counts: [Int64] = []
    var kinds: [Int32] = []
    var exactVersions: [Int64] = []
    var labels: [String] = []
    var expectations: [ExpectedVersion] = []
    // Per event, stream by stream.
    var eventStreams: [String] = []
    /// Each event's stream as a 1-based index into ``names``.
    var streamIndexes: [Int32] = []
    /// How far below its stream's new head each event lands: the last event of a write is 0.
    var distances: [Int64] = []
    var ids: [UUID] = []
    var types: [String] = []
    /// Sent as json, the events table's type (see ``JSONText``).
    var data: [JSONText] = []
    /// NULL for empty metadata.
    var metadata: [JSONText?] = []

    var eventCount: Int { ids.count }

    init(_ writes: [StreamWrite]) throws(EventStoreError) {
        guard !writes.isEmpty else { throw EventStoreError(.invalidArgument, "an append needs at least one stream write") }
        var seenStreams = Set<String>()
        var seenIDs = Set<UUID>()
        for write in writes {
            try Self.validate(streamName: write.stream)
            guard seenStreams.insert(write.stream).inserted else {
                throw EventStoreError(.invalidArgument, "stream \(write.stream) appears twice in one append: merge its events into one write", stream: write.stream)
            }
            guard !write.events.isEmpty else {
                throw EventStoreError(.invalidArgument, "the write to stream \(write.stream) has no events", stream: write.stream)
            }
            if case .exact(let version) = write.expected, version < 0 {
                throw EventStoreError(.invalidArgument, "expected version \(version) is negative", stream: write.stream)
            }
            names.append(write.stream)
            counts.append(Int64(write.events.count))
            kinds.append(write.expected.kind)
            exactVersions.append(write.expected.exactVersion)
            labels.append(write.expected.description)
            expectations.append(write.expected)
            for (index, event) in write.events.enumerated() {
                guard seenIDs.insert(event.id).inserted else {
                    throw EventStoreError(.invalidArgument, "event id \(event.id) appears twice in one append", stream: write.stream)
                }
                eventStreams.append(write.stream)
                streamIndexes.append(Int32(names.count))
                distances.append(Int64(write.events.count - 1 - index))
                ids.append(event.id)
                types.append(event.type)
                data.append(JSONText(event.data))
                metadata.append(try Self.encode(event.metadata))
            }
        }
    }

    static func validate(streamName: String) throws(EventStoreError) {
        guard !streamName.isEmpty, !streamName.utf8.contains(0) else {
            throw EventStoreError(.invalidArgument, "a stream name must be non-empty text without NUL", stream: streamName)
        }
    }

    static func encode(_ metadata: EventMetadata) throws(EventStoreError) -> JSONText? {
        if metadata == EventMetadata() { return nil }
        do {
            return JSONText(PGRawJSON(bytes: try metadata.encodedJSON()))
        } catch {
            throw EventStoreError(.invalidArgument, "metadata cannot be encoded: \(error)", underlying: error)
        }
    }
}
