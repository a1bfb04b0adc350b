#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An entry point for fuzzers: decodes arbitrary bytes as one of PGWire's value types.
///
/// Import with `@_spi(Fuzzing) import PGWire`. The decoders must never trap; a decoding error
/// is a normal outcome. After a successful decode the value is encoded, decoded again from its
/// own binary form and encoded again, and the two encodings must be equal: a difference is a
/// codec bug and traps, so that the fuzzer reports it. (`Date` is exempt: far from 2000 a
/// `Date` cannot hold every microsecond.)
@_spi(Fuzzing)
public enum PGValueFuzzing {
    /// Input layout: byte 0 picks the Swift type, byte 1 the format (bit 0: binary) and the
    /// PostgreSQL type (the other bits, among those listed for the Swift type), and the rest is
    /// the value.
    public static func decode(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let target = targets[Int(input[0]) % targets.count]
        let format: PGFormat = input[1] & 1 == 1 ? .binary : .text
        let type = target.types[Int(input[1] >> 1) % target.types.count]
        target.run(input[2...], type, format)
    }

    /// The number of Swift types ``decode(_:)`` chooses from.
    public static var targetCount: Int { targets.count }

    private struct Target: Sendable {
        var types: [PGDataType]
        var run: @Sendable (ArraySlice<UInt8>, PGDataType, PGFormat) -> Void
    }

    private static func target<T: PGCodable>(_: T.Type, _ types: [PGDataType], roundTrip: Bool = true) -> Target {
        Target(types: types) { bytes, type, format in
            if roundTrip {
                Self.roundTrip(T.self, bytes, type, format)
            } else {
                _ = try? T.decode(from: bytes, type: type, format: format)
            }
        }
    }

    private static func roundTrip<T: PGCodable>(
        _: T.Type, _ bytes: ArraySlice<UInt8>, _ type: PGDataType, _ format: PGFormat
    ) {
        guard let value = try? T.decode(from: bytes, type: type, format: format) else { return }
        var first: [UInt8] = []
        guard (try? value.encode(into: &first)) != nil else { return }
        let again: T
        do {
            again = try T.decode(from: first[...], type: value.pgDataType, format: .binary)
        } catch {
            fatalError("\(T.self) cannot decode its own encoding as \(value.pgDataType): \(error)")
        }
        var second: [UInt8] = []
        do {
            try again.encode(into: &second)
        } catch {
            fatalError("\(T.self) cannot encode a value it decoded from its own encoding: \(error)")
        }
        if first != second { fatalError("\(T.self) encodes \(first), then \(second) after a round trip") }
    }

    private static let unknownUserType = PGDataType(16_400)

    private static let targets: [Target] = [
        target(Bool.self, [.bool, .int4]),
        target(Int16.self, [.int2, .int4]),
        target(Int32.self, [.int4, .int2, .int8]),
        target(Int64.self, [.int8, .int4, .int2, .text]),
        target(Int.self, [.int8, .int4, .int2]),
        target(UInt32.self, [.oid, PGDataType(2205), .int4]),
        target(UInt64.self, [.xid8, .int8]),
        target(PGTransactionID.self, [.xid8]),
        target(Float.self, [.float4, .float8]),
        target(Double.self, [.float8, .float4, .numeric]),
        target(String.self, [.text, .varchar, .name, .bpchar, .char, .json, .jsonb, .int4, unknownUserType]),
        target([UInt8].self, [.bytea, .text]),
        target(Data.self, [.bytea]),
        target(UUID.self, [.uuid, .text]),
        // A Date holds microseconds exactly only within some thousands of years of 2000.
        target(Date.self, [.timestamptz, .timestamp, .date], roundTrip: false),
        target(PGTimestamp.self, [.timestamptz, .timestamp, .date]),
        target(PGLocalTimestamp.self, [.timestamp, .timestamptz]),
        target(PGDate.self, [.date, .timestamp]),
        target(PGInterval.self, [.interval]),
        target(PGNumeric.self, [.numeric, .int8, .int4, .int2, .float8]),
        target(Decimal.self, [.numeric, .int8]),
        target(PGRawJSON.self, [.jsonb, .json, .text]),
        target(PGJSON<[String: Int]>.self, [.jsonb, .json]),
        target([Int32?].self, [.int4Array, .int8Array, .int4, unknownUserType]),
        target([Int].self, [.int8Array, .int4Array, .int2Array]),
        target([String?].self, [.textArray, .varcharArray, .nameArray, .jsonbArray]),
        target([PGNumeric?].self, [.numericArray]),
        target([[UInt8]?].self, [.byteaArray]),
        target([UUID].self, [.uuidArray]),
        target([PGTimestamp?].self, [.timestamptzArray, .timestampArray]),
        target([PGInterval].self, [.intervalArray]),
        target([Bool?].self, [.boolArray]),
        target([Double].self, [.float8Array, .float4Array]),
    ]
}
