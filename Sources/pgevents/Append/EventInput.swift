import Foundation
import PGEventStore
import PGWire

/// Turns the user's text into events: the `--type`/`--data`/`--metadata`/`--event-id` options,
/// or one line of an `--file`.
enum EventInput {
    /// What is wrong with a piece of input, without the input itself.
    struct Problem: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// One event from its parts as given on the command line.
    static func event(type: String, data: String, metadata: String?, id: String?) throws(Problem) -> NewEvent {
        let dataBytes = Array(data.utf8)
        do {
            try JSONScanner.validate(dataBytes)
        } catch {
            throw Problem(description: "--data is not valid JSON: \(error)")
        }
        return try make(
            type: type, data: dataBytes[...], metadata: metadata.map { Array($0.utf8)[...] }, id: id,
            names: ("--metadata", "--event-id"))
    }

    /// One event from a JSON line `{"type": ..., "data": ..., "metadata": ..., "id": ...}`.
    /// `type` and `data` are required; other keys (such as those `read` prints) are ignored.
    static func event(line: [UInt8]) throws(Problem) -> NewEvent {
        let members: [(key: String, value: ArraySlice<UInt8>)]
        do {
            members = try JSONScanner.members(of: line)
        } catch {
            throw Problem(description: "not a JSON object: \(error)")
        }
        func member(_ key: String) -> ArraySlice<UInt8>? { members.last { $0.key == key }?.value }
        guard let typeValue = member("type") else { throw Problem(description: "\"type\" is missing") }
        guard let data = member("data") else { throw Problem(description: "\"data\" is missing") }
        let type = try string(typeValue, key: "type")
        let id = try member("id").flatMap { value throws(Problem) in isNull(value) ? nil : try string(value, key: "id") }
        let metadata = member("metadata").flatMap { isNull($0) ? nil : $0 }
        return try make(type: type, data: data, metadata: metadata, id: id, names: ("\"metadata\"", "\"id\""))
    }

    private static func make(
        type: String, data: ArraySlice<UInt8>, metadata: ArraySlice<UInt8>?, id: String?,
        names: (metadata: String, id: String)
    ) throws(Problem) -> NewEvent {
        var eventMetadata = EventMetadata()
        if let metadata {
            do {
                eventMetadata = try EventMetadata(json: metadata)
            } catch {
                throw Problem(description: "\(names.metadata) must be a JSON object (correlationId and causationId as UUID strings)")
            }
        }
        var eventID = UUIDv7.generate()
        if let id {
            guard let parsed = UUID(uuidString: id) else { throw Problem(description: "\(names.id) \"\(id)\" is not a UUID") }
            eventID = parsed
        }
        do {
            return try NewEvent(id: eventID, type: type, data: PGRawJSON(bytes: Array(data)), metadata: eventMetadata)
        } catch let error as EventStoreError {
            throw Problem(description: error.message)
        } catch {
            throw Problem(description: "\(error)")
        }
    }

    private static func string(_ value: ArraySlice<UInt8>, key: String) throws(Problem) -> String {
        guard value.first == UInt8(ascii: "\"") else { throw Problem(description: "\"\(key)\" must be a string") }
        do {
            return try JSONScanner.unescapedString(value)
        } catch {
            throw Problem(description: "\"\(key)\" is not a valid string")
        }
    }

    private static func isNull(_ value: ArraySlice<UInt8>) -> Bool {
        value.elementsEqual("null".utf8)
    }
}
