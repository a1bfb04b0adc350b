#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import PGWire

/// An event to append to a stream: its id, type name, JSON data and metadata.
///
/// The type name is checked when the event is made, so every `NewEvent` can be stored: it must be
/// non-empty, at most ``maxTypeLength`` UTF-8 bytes, and contain no NUL (PostgreSQL text cannot
/// hold one). That is why ``type`` can only be set through an initializer.
///
/// ```swift
/// let event = try NewEvent(type: "OrderPlaced", encoding: OrderPlaced(orderID: 42))
/// ```
public struct NewEvent: Sendable, Hashable {
    /// The longest allowed type name, in UTF-8 bytes.
    public static let maxTypeLength = 255

    /// The event's id; a retried append with the same id is recognised as the same event.
    /// Defaults to a ``UUIDv7``, so ids (and the index on them) follow append order.
    public var id: UUID
    /// The event type name, such as `"OrderPlaced"`.
    public private(set) var type: String
    /// The event's data as JSON text, stored as `json`: the server checks its syntax and keeps
    /// it byte for byte.
    public var data: PGRawJSON
    /// Correlation and causation ids and any other keys.
    public var metadata: EventMetadata

    /// An event whose data is already JSON.
    ///
    /// - Throws: ``EventStoreError`` with code ``EventStoreError/Code/invalidArgument`` when
    ///   `type` is not a valid type name.
    public init(
        id: UUID = UUIDv7.generate(),
        type: String,
        data: PGRawJSON,
        metadata: EventMetadata = EventMetadata()
    ) throws {
        try Self.validate(type: type)
        self.id = id
        self.type = type
        self.data = data
        self.metadata = metadata
    }

    /// An event whose data is `value` encoded as JSON, with `encoder` or a default `JSONEncoder`.
    ///
    /// - Throws: ``EventStoreError`` with code ``EventStoreError/Code/invalidArgument`` when
    ///   `type` is not a valid type name or `value` cannot be encoded.
    public init<E: Encodable>(
        id: UUID = UUIDv7.generate(),
        type: String,
        encoding value: E,
        metadata: EventMetadata = EventMetadata(),
        encoder: JSONEncoder? = nil
    ) throws {
        try Self.validate(type: type)
        let data: PGRawJSON
        do {
            data = try PGRawJSON(encoding: value, using: encoder)
        } catch {
            throw EventStoreError(
                .invalidArgument, "data of event type \"\(type)\" (\(E.self)) cannot be encoded as JSON",
                underlying: error)
        }
        try self.init(id: id, type: type, data: data, metadata: metadata)
    }

    /// Checks that `type` can be stored as an event type name.
    ///
    /// - Throws: ``EventStoreError`` with code ``EventStoreError/Code/invalidArgument`` naming
    ///   the rule `type` breaks.
    public static func validate(type: String) throws {
        let length = type.utf8.count
        guard length > 0 else {
            throw EventStoreError(.invalidArgument, "event type must not be empty")
        }
        guard length <= maxTypeLength else {
            throw EventStoreError(
                .invalidArgument, "event type is \(length) UTF-8 bytes long; the limit is \(maxTypeLength)")
        }
        guard !type.utf8.contains(0) else {
            throw EventStoreError(.invalidArgument, "event type must not contain a NUL character")
        }
    }
}
