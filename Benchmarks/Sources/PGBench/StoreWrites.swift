import Foundation
import PGEventStore
import PGWire

/// The append benchmark's events (``EventData/make(events:streams:batchSize:)``) as the store's
/// input: per batch one `append` call with one `StreamWrite` per stream in the batch, each
/// expecting its stream's exact version before the batch, so that every head is checked.
enum StoreWrites {
    /// Built before the timed run, as the events are: the application's own work.
    static func make(_ batches: [EventBatch]) throws -> [[StreamWrite]] {
        try batches.map(writes)
    }

    static func writes(_ batch: EventBatch) throws -> [StreamWrite] {
        var writes: [StreamWrite] = []
        var writeOfStream: [String: Int] = [:]
        for i in 0..<batch.count {
            let event = try NewEvent(
                id: batch.ids[i], type: batch.types[i], data: PGRawJSON(bytes: batch.payloads[i]),
                metadata: EventMetadata(correlationID: try correlationID(batch.metadata[i])))
            // With fewer streams than events per batch, a stream recurs in the batch, each time
            // with the next version: its events go into one write (the store refuses a stream
            // twice in one append).
            if let index = writeOfStream[batch.streams[i]] {
                writes[index].events.append(event)
            } else {
                writeOfStream[batch.streams[i]] = writes.count
                writes.append(
                    StreamWrite(stream: batch.streams[i], expected: .exact(Int64(batch.versions[i] - 1)), events: [event]))
            }
        }
        return writes
    }

    /// The id inside EventData's metadata `{"correlationId": "<uuid>"}`, so that the store
    /// writes the same metadata the other append contenders write.
    static func correlationID(_ metadata: [UInt8]) throws -> UUID {
        let parts = String(decoding: metadata, as: UTF8.self).split(separator: "\"")
        guard parts.count >= 4, let id = UUID(uuidString: String(parts[3])) else {
            throw BenchError("no correlation id in \(String(decoding: metadata, as: UTF8.self))")
        }
        return id
    }
}
