import PGWire

/// Event data and metadata as the server's `json` type: the text as is, in binary format too
/// (`jsonb` would put a version byte first). The events table holds json since schema
/// version 3 (see sql/0003_json_events.sql for why), and a value sent as json reaches a json
/// column without the jsonb parse and print that PGRawJSON's jsonb would cost.
struct JSONText: PGArrayElement, Hashable {
    var bytes: [UInt8]

    init(_ json: PGRawJSON) { bytes = json.bytes }

    static var pgElementDataType: PGDataType { .json }
    static var pgArrayDataType: PGDataType { .jsonArray }

    func encode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: bytes)
    }

    static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> JSONText {
        JSONText(try PGRawJSON.decode(from: bytes, type: type, format: format))
    }
}
