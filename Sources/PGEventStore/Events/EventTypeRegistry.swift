#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import PGWire

/// A Swift type that is an event, with the type name it is stored under.
///
/// Keep ``eventType`` stable once events are stored: it is what finds the Swift type again
/// when they are read, and renaming the Swift type must not change it.
public protocol TypedEvent: Codable, Sendable {
    /// The name stored with each event of this type, such as `"OrderPlaced"`.
    static var eventType: String { get }
}

/// An event's data after ``EventTypeRegistry/decode(type:data:)``.
public enum DecodedEvent: Sendable {
    /// The type name is registered; the value has the registered Swift type.
    case known(any Sendable)
    /// No Swift type is registered under this name; the JSON is left as it was stored.
    case unknown(type: String, data: PGRawJSON)

    /// The decoded value when it is known and of type `E`, otherwise nil.
    public func value<E>(as type: E.Type = E.self) -> E? {
        guard case .known(let value) = self else { return nil }
        return value as? E
    }
}

/// Maps event type names to Swift types and back, so events can be appended from Swift values
/// and read back as Swift values.
///
/// ```swift
/// var registry = EventTypeRegistry()
/// registry.register(OrderPlaced.self)
/// let event = try registry.newEvent(OrderPlaced(orderID: 42))
/// ```
///
/// Each name maps to one Swift type and each Swift type to one name. Registering a second Swift
/// type under a name, or a type under a second name, replaces the earlier registration: the last
/// registration wins and the earlier pairing is removed entirely, so names and types never
/// disagree between writing and reading.
///
/// Names are not checked when registered; ``newEvent(_:id:metadata:)`` throws for a name that
/// ``NewEvent`` rejects.
public struct EventTypeRegistry: Sendable {
    private struct Entry: Sendable {
        var type: ObjectIdentifier
        var typeName: String
        var decode: @Sendable (PGRawJSON, JSONDecoder) throws -> any Sendable
    }

    private var entries: [String: Entry] = [:]
    private var names: [ObjectIdentifier: String] = [:]
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder

    /// An empty registry that encodes event data with `encoder` and decodes it with `decoder`.
    public init(encoder: JSONEncoder = .init(), decoder: JSONDecoder = .init()) {
        self.encoder = encoder
        self.decoder = decoder
    }

    /// Registers `type` under its ``TypedEvent/eventType`` name.
    public mutating func register<E: TypedEvent>(_ type: E.Type) {
        register(type, as: E.eventType)
    }

    /// Registers `type` under `name`, replacing any registration of either (see the type's
    /// documentation).
    public mutating func register<E: Codable & Sendable>(_ type: E.Type, as name: String) {
        let id = ObjectIdentifier(type)
        if let oldName = names[id] { entries[oldName] = nil }
        if let oldEntry = entries[name] { names[oldEntry.type] = nil }
        entries[name] = Entry(type: id, typeName: String(reflecting: type)) { data, decoder in
            try data.decode(E.self, using: decoder)
        }
        names[id] = name
    }

    /// The name registered for the dynamic type of `value`, or nil.
    public func name(for value: any Encodable) -> String? {
        names[ObjectIdentifier(Swift.type(of: value))]
    }

    /// An event holding `value` encoded as JSON, under the name registered for its type.
    ///
    /// - Throws: ``EventStoreError`` with code ``EventStoreError/Code/unregisteredEventType``
    ///   when the type of `value` is not registered, or ``EventStoreError/Code/invalidArgument``
    ///   when it cannot be encoded or its name is not a valid type name.
    public func newEvent<E: Encodable & Sendable>(
        _ value: E,
        id: UUID = UUIDv7.generate(),
        metadata: EventMetadata = EventMetadata()
    ) throws -> NewEvent {
        guard let name = name(for: value) else {
            throw EventStoreError(
                .unregisteredEventType,
                "\(String(reflecting: Swift.type(of: value))) is not registered in the EventTypeRegistry")
        }
        return try NewEvent(id: id, type: name, encoding: value, metadata: metadata, encoder: encoder)
    }

    /// Decodes stored event data by its type name.
    ///
    /// A name with no registered type is not an error: the result is ``DecodedEvent/unknown(type:data:)``
    /// so readers can skip or inspect events written by newer code.
    ///
    /// - Throws: ``EventStoreError`` with code ``EventStoreError/Code/decoding`` when the type is
    ///   registered but `data` does not decode as it; ``EventStoreError/underlying`` holds the
    ///   decoder's error.
    public func decode(type name: String, data: PGRawJSON) throws -> DecodedEvent {
        guard let entry = entries[name] else { return .unknown(type: name, data: data) }
        do {
            return .known(try entry.decode(data, decoder))
        } catch {
            throw EventStoreError(
                .decoding, "data of event type \"\(name)\" does not decode as \(entry.typeName)", underlying: error)
        }
    }
}
