#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What an event carries besides its data: the ids that tie events of one operation together,
/// and any other keys the application wants to keep.
///
/// Stored as one flat JSON object, so SQL can read it directly
/// (`metadata->>'correlationId'`):
///
/// ```json
/// {"causationId":"…","correlationId":"…","tenant":"acme"}
/// ```
///
/// The ids are written as lowercase UUID text and left out when nil. The keys `correlationId`
/// and `causationId` belong to the typed fields: putting either into ``extra`` makes encoding
/// throw ``EventStoreError/Code/invalidArgument`` rather than silently dropping one of the two
/// values.
public struct EventMetadata: Sendable, Hashable, Codable {
    /// The id shared by every event that one request or workflow produced.
    public var correlationID: UUID?
    /// The id of the event (or command) that directly caused this event.
    public var causationID: UUID?
    /// Any other keys, stored next to the ids.
    public var extra: [String: EventMetadata.Value]

    /// The JSON keys of the typed fields; reserved in ``extra``.
    static let correlationKey = "correlationId"
    static let causationKey = "causationId"

    /// Metadata with the given ids (nil leaves an id out) and extra keys. `extra` must not use the
    /// keys `correlationId` or `causationId`: encoding then throws.
    public init(correlationID: UUID? = nil, causationID: UUID? = nil, extra: [String: EventMetadata.Value] = [:]) {
        self.correlationID = correlationID
        self.causationID = causationID
        self.extra = extra
    }

    /// The metadata as compact JSON with sorted keys, so equal metadata always gives equal bytes.
    ///
    /// - Throws: ``EventStoreError`` with code ``EventStoreError/Code/invalidArgument`` when
    ///   ``extra`` uses a reserved key or holds a number JSON cannot express (NaN, infinity).
    public func encodedJSON() throws -> [UInt8] {
        if let json = idsOnlyJSON { return json }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(self))
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(.invalidArgument, "event metadata cannot be encoded as JSON", underlying: error)
        }
    }

    /// Metadata from its JSON text. JSON `null`, or no text at all, gives empty metadata.
    ///
    /// - Throws: ``EventStoreError`` with code ``EventStoreError/Code/decoding`` when the text is
    ///   not a JSON object or an id is not a UUID string.
    public init(json bytes: some Collection<UInt8>) throws {
        if let metadata = EventMetadata(idsOnlyJSON: bytes) {
            self = metadata
            return
        }
        let data = Data(bytes)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            self.init()
            return
        }
        do {
            self = try JSONDecoder().decode(EventMetadata.self, from: data)
        } catch {
            throw EventStoreError(.decoding, "event metadata is not a JSON object of the expected form", underlying: error)
        }
    }
}

extension EventMetadata {
    /// Any JSON object key.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { self.stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes a flat object: the two id keys (absent or null means nil) into the typed fields,
    /// every other key into ``extra``. A JSON `null` in place of the object gives empty metadata.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), single.decodeNil() {
            self.init()
            return
        }
        let container = try decoder.container(keyedBy: Key.self)
        self.init()
        for key in container.allKeys {
            switch key.stringValue {
            case Self.correlationKey: correlationID = try Self.decodeID(key, in: container)
            case Self.causationKey: causationID = try Self.decodeID(key, in: container)
            default: extra[key.stringValue] = try container.decode(EventMetadata.Value.self, forKey: key)
            }
        }
    }

    /// Encodes a flat object; see the type's documentation for the reserved keys.
    public func encode(to encoder: any Encoder) throws {
        for reserved in [Self.correlationKey, Self.causationKey] where extra[reserved] != nil {
            throw EventStoreError(
                .invalidArgument,
                "metadata key \"\(reserved)\" is reserved; set the typed field instead of extra[\"\(reserved)\"]"
            )
        }
        var container = encoder.container(keyedBy: Key.self)
        if let correlationID {
            try container.encode(correlationID.uuidString.lowercased(), forKey: Key(Self.correlationKey))
        }
        if let causationID {
            try container.encode(causationID.uuidString.lowercased(), forKey: Key(Self.causationKey))
        }
        for (key, value) in extra {
            try container.encode(value, forKey: Key(key))
        }
    }

    private static func decodeID(_ key: Key, in container: KeyedDecodingContainer<Key>) throws -> UUID? {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let id = UUIDText.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "\"\(key.stringValue)\" is not a UUID")
        }
        return id
    }
}
