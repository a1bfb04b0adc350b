import Foundation
import PGEventStore
import PGWire

/// One stored event as one line of JSON, keys in this order: `id`, `stream`, `version`,
/// `position`, `transaction_id`, `type`, `data`, `metadata`, `created_at` (ISO 8601, UTC,
/// microseconds).
///
/// `id`, `type`, `data` and `metadata` are the keys `append --file` reads, so a line can be
/// appended elsewhere as it is.
enum EventJSON {
    static func line(_ event: RecordedEvent) throws -> [UInt8] {
        var json = JSONWriter()
        json.string("id", event.id.uuidString.lowercased())
        json.string("stream", event.stream)
        json.integer("version", event.version)
        json.integer("position", event.position)
        json.integer("transaction_id", event.transactionID)
        json.string("type", event.type)
        json.raw("data", event.data.bytes)
        json.raw("metadata", try event.metadata.encodedJSON())
        json.string("created_at", Timestamp.iso8601(event.createdAt))
        return json.finished() + [0x0A]
    }

    /// Prints every event of `events` as a line on stdout; returns how many.
    @discardableResult
    static func printAll(_ events: EventPages) async throws -> Int {
        var count = 0
        for try await event in events {
            StandardOutput.shared.write(bytes: try line(event))
            count += 1
        }
        return count
    }
}
