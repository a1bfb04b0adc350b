import Foundation
import NIOCore
import PostgresNIO

/// JSON text as raw UTF-8 bytes for postgres-nio, sent and read as binary `jsonb` without
/// decoding: the counterpart of PGWire's `PGRawJSON`, which postgres-nio does not have.
struct NIORawJSONB: PostgresNonThrowingEncodable, PostgresArrayEncodable, PostgresDecodable, Sendable {
    var bytes: [UInt8]

    static var psqlType: PostgresDataType { .jsonb }
    static var psqlFormat: PostgresFormat { .binary }
    static var psqlArrayType: PostgresDataType { .jsonbArray }

    init(bytes: [UInt8]) { self.bytes = bytes }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(UInt8(1))
        byteBuffer.writeBytes(bytes)
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        if type == .jsonb && format == .binary {
            guard buffer.readInteger(as: UInt8.self) == 1 else { throw PostgresDecodingError.Code.failure }
        } else if type != .json && type != .jsonb {
            throw PostgresDecodingError.Code.typeMismatch
        }
        bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}

/// `SELECT $1::int` as a postgres-nio prepared statement (parsed once per connection).
struct NIOSelectInt: PostgresPreparedStatement {
    static let sql = "SELECT $1::int"
    typealias Row = Int32

    var value: Int32

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(value)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int32 {
        try row.decode(Int32.self)
    }
}

/// COPY's text format, written into a NIO buffer: columns separated by tabs, rows ended by a
/// newline, and backslash, tab, newline and carriage return escaped in values.
enum COPYText {
    static func appendRow(_ batch: EventBatch, _ i: Int, to buffer: inout ByteBuffer) {
        buffer.writeString(batch.ids[i].uuidString)
        buffer.writeInteger(UInt8(ascii: "\t"))
        appendEscaped(batch.streams[i].utf8, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\t"))
        buffer.writeString(String(batch.versions[i]))
        buffer.writeInteger(UInt8(ascii: "\t"))
        appendEscaped(batch.types[i].utf8, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\t"))
        appendEscaped(batch.payloads[i], to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\t"))
        appendEscaped(batch.metadata[i], to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// Copies `bytes`, escaping the four bytes the text format reserves.
    static func appendEscaped(_ bytes: some Collection<UInt8>, to buffer: inout ByteBuffer) {
        guard bytes.contains(where: needsEscape) else {
            buffer.writeBytes(bytes)
            return
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: buffer.writeInteger(byte)
            }
        }
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }
}
