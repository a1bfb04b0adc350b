import Foundation
import PGEventStore
import PGWire

/// The benchmark's events. Event `i` goes to stream `order-NNNNN` (`i % streams`) as its
/// version `i / streams + 1`, carries a ~150-byte JSON order and `{"correlationId": <uuid>}`
/// metadata. Writer `w` of `writers` owns the streams whose number is `w` modulo `writers`
/// and appends their events in ascending `i`, `batchSize` at a time, each stream's events of
/// a batch as one write expecting the exact version before them.
struct BenchWorkload: Sendable {
    let events: Int
    let streams: Int
    let batchSize: Int
    let writers: Int
    private let streamNames: [String]

    static let types = ["OrderPlaced", "OrderPaid", "OrderPacked", "OrderShipped"]

    init(events: Int, streams: Int, batchSize: Int, writers: Int) {
        self.events = events
        self.streams = streams
        self.batchSize = batchSize
        self.writers = writers
        streamNames = (0..<streams).map { "order-" + Self.zeroPadded($0, width: 5) }
    }

    /// Calls `body` with each batch of event numbers writer `writer` appends, in order.
    func forEachBatch(ofWriter writer: Int, _ body: ([Int]) async throws -> Void) async throws {
        let slice = Array(stride(from: writer, to: streams, by: writers))
        var batch: [Int] = []
        batch.reserveCapacity(batchSize)
        var round = 0
        while round * streams < events {
            for stream in slice {
                let i = round * streams + stream
                if i >= events { break }
                batch.append(i)
                if batch.count == batchSize {
                    try await body(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            round += 1
        }
        if !batch.isEmpty { try await body(batch) }
    }

    /// The stream writes of one batch, streams in order of first appearance.
    func writes(for batch: [Int]) throws -> [StreamWrite] {
        var writes: [StreamWrite] = []
        var slot: [Int: Int] = [:]
        for i in batch {
            let stream = i % streams
            let version = Int64(i / streams + 1)
            let event = try NewEvent(
                type: Self.types[i % Self.types.count], data: PGRawJSON(bytes: Self.payload(i)),
                metadata: EventMetadata(correlationID: UUID()))
            if let index = slot[stream] {
                writes[index].events.append(event)
            } else {
                slot[stream] = writes.count
                writes.append(StreamWrite(stream: streamNames[stream], expected: .exact(version - 1), events: [event]))
            }
        }
        return writes
    }

    /// Event `i`'s order, about 150 bytes of JSON.
    static func payload(_ i: Int) -> [UInt8] {
        let quantity = i % 4 + 1
        let cents = 199 + (i &* 7_919) % 20_000
        let text = #"{"orderId":"ord-\#(zeroPadded(i, width: 9))","customerId":"cust-\#(zeroPadded(i % 49_999, width: 6))","#
            + #""lines":[{"sku":"SKU-\#(zeroPadded(i % 8_191, width: 5))","quantity":\#(quantity),"unitCents":\#(cents)}],"#
            + #""totalCents":\#(quantity * cents),"currency":"EUR","channel":"web"}"#
        return Array(text.utf8)
    }

    static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
