#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import PGWire

/// An event as stored.
public struct RecordedEvent: Sendable, Hashable {
    /// The event's id.
    public var id: UUID
    /// Its stream.
    public var stream: String
    /// Its version in the stream (1-based).
    public var version: Int64
    /// Its global position.
    public var position: Int64
    /// The transaction that wrote it.
    public var transactionID: UInt64
    /// Its type name.
    public var type: String
    /// Its data: the JSON text exactly as appended (stored as `json`, byte for byte; stores made
    /// before schema version 3 hold what jsonb printed for their older events).
    public var data: PGRawJSON
    /// Its metadata.
    public var metadata: EventMetadata
    /// When it was written (the writing transaction's start, as `now()` gives it).
    public var createdAt: Date

    /// An event with the given fields, for instance to feed a projection in tests; reads make their
    /// own from the stored rows.
    public init(
        id: UUID, stream: String, version: Int64, position: Int64, transactionID: UInt64, type: String,
        data: PGRawJSON, metadata: EventMetadata, createdAt: Date
    ) {
        self.id = id
        self.stream = stream
        self.version = version
        self.position = position
        self.transactionID = transactionID
        self.type = type
        self.data = data
        self.metadata = metadata
        self.createdAt = createdAt
    }

    /// The event's place in the global order.
    public var globalPosition: GlobalPosition { GlobalPosition(transactionID: transactionID, position: position) }

    /// The stream's category: its name up to the first `-` (the whole name without one).
    public var category: Substring { stream.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)[0] }

    /// Decodes the data as `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self, using decoder: JSONDecoder? = nil) throws -> T {
        try data.decode(T.self, using: decoder)
    }

    /// Decodes the data as the Swift type `registry` maps this event's type to; a type the
    /// registry does not know comes back as ``DecodedEvent/unknown(type:data:)``.
    public func decode(using registry: EventTypeRegistry) throws -> DecodedEvent {
        try registry.decode(type: type, data: data)
    }

    /// The columns every read selects, in the order ``init(row:)`` decodes them.
    static let columns =
        "event_id, stream_name, stream_version, position, transaction_id, event_type, data, metadata, created_at"

    /// Decodes the ``columns`` from `row`, the first at index `offset`.
    init(row: PGRow, offset: Int = 0) throws {
        id = try row.decode(UUID.self, at: offset)
        stream = try row.decode(String.self, at: offset + 1)
        version = try row.decode(Int64.self, at: offset + 2)
        position = try row.decode(Int64.self, at: offset + 3)
        transactionID = try row.decode(PGTransactionID.self, at: offset + 4).rawValue
        type = try row.decode(String.self, at: offset + 5)
        data = try row.decode(PGRawJSON.self, at: offset + 6)
        if let raw = try row.decode(PGRawJSON?.self, at: offset + 7) {
            metadata = try EventMetadata(json: raw.bytes)
        } else {
            metadata = EventMetadata()
        }
        createdAt = try row.decode(Date.self, at: offset + 8)
    }
}
