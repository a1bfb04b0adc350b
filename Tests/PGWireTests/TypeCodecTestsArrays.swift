import FoundationEssentials
import Testing

@testable import PGWire

/// The user-defined enum of PGArrayElement's documentation.
enum Mood: String { case sad, happy }

extension Mood: PGArrayElement {
    static var pgElementDataType: PGDataType { PGDataType(16_385) }
    static var pgArrayDataType: PGDataType { PGDataType(16_384) }
    func encode(into buffer: inout [UInt8]) throws { try rawValue.encode(into: &buffer) }
    static func decode(from bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat) throws -> Mood {
        let label = try String.decode(from: bytes, type: type, format: format)
        guard let mood = Mood(rawValue: label) else {
            throw PGError.decoding(swiftType: Mood.self, type: type, "unknown label \(label)")
        }
        return mood
    }
}

/// One-dimensional arrays. Vectors from array_send on a PostgreSQL 15 server.
@Suite("Type codecs: arrays")
struct TypeCodecArrayTests {
    // array_send(ARRAY[1,NULL,3]::int4[])
    static let withNull = Codec.hex(
        "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003")
    // array_send('{}'::int4[])
    static let empty = Codec.hex("000000000000000000000017")

    @Test func arrayWithNullVector() throws {
        let value: [Int32?] = [1, nil, 3]
        #expect(value.pgDataType == .int4Array)
        #expect(try Codec.encode(value) == Self.withNull)
        #expect(try Codec.decode(Self.withNull, as: [Int32?].self, type: .int4Array) == value)
        // Elements widen like scalars: int4[] as [Int?].
        #expect(try Codec.decode(Self.withNull, as: [Int?].self, type: .int4Array) == [1, nil, 3])
    }

    @Test func nullElementNeedsOptionalElements() {
        expectDecodingError(
            Codec.decodeError(Self.withNull, as: [Int32].self, type: .int4Array), "element 1 is NULL")
    }

    @Test func emptyArrays() throws {
        #expect(try Codec.encode([Int32]()) == Self.empty)
        #expect(try Codec.decode(Self.empty, as: [Int32].self, type: .int4Array) == [])
        #expect(try Codec.roundTrip([String]()) == [])
        // An empty text[] carries its element type, 25.
        #expect(try Codec.encode([String]()) == Codec.hex("000000000000000000000019"))
        // ndim 1 with zero elements is also an empty array.
        #expect(try Codec.decode(Codec.hex("00000001000000000000001700000000" + "00000001"), as: [Int32].self, type: .int4Array) == [])
    }

    @Test func lowerBoundIsIgnored() throws {
        // array_send('[0:1]={7,8}'::int4[])
        let wire = Codec.hex("000000010000000000000017000000020000000000000004000000070000000400000008")
        #expect(try Codec.decode(wire, as: [Int32].self, type: .int4Array) == [7, 8])
    }

    @Test func elementTypesRoundTrip() throws {
        #expect(try Codec.roundTrip([true, false]) == [true, false])
        #expect(try Codec.roundTrip([Int16.min, .max]) == [.min, .max])
        #expect(try Codec.roundTrip([Int64.min, 0, .max]) == [.min, 0, .max])
        #expect(try Codec.roundTrip([1, 2, 3] as [Int]) == [1, 2, 3])
        #expect(try Codec.roundTrip([UInt32.max]) == [.max])
        #expect(try Codec.roundTrip([UInt64.max]) == [.max])
        #expect(try Codec.roundTrip([Float.infinity]) == [.infinity])
        #expect(try Codec.roundTrip([1.5, -.infinity] as [Double]) == [1.5, -.infinity])
        #expect(try Codec.roundTrip(["a", "", "ü,\"{}\\"]) == ["a", "", "ü,\"{}\\"])
        #expect(try Codec.roundTrip(["x", nil] as [String?]) == ["x", nil])
        #expect(try Codec.roundTrip([UUID(), UUID()]).count == 2)
        #expect(try Codec.roundTrip([PGNumeric("1.50")!, .nan]).map(\.description) == ["1.50", "NaN"])
        #expect(try Codec.roundTrip([Decimal(string: "2.5")!]) == [Decimal(string: "2.5")!])
        #expect(try Codec.roundTrip([PGDate.infinity, PGDate(year: 2024, month: 1, day: 1)!]).first == .infinity)
        #expect(try Codec.roundTrip([PGTimestamp(microsecondsSince2000: 1)]) == [PGTimestamp(microsecondsSince2000: 1)])
        #expect(try Codec.roundTrip([PGLocalTimestamp.negativeInfinity]) == [.negativeInfinity])
        #expect(try Codec.roundTrip([PGInterval(months: 1)]) == [PGInterval(months: 1)])
        #expect(try Codec.roundTrip([PGJSON([1, 2])]) == [PGJSON([1, 2])])
        #expect(try Codec.roundTrip([PGRawJSON("{}")]) == [PGRawJSON("{}")])
        #expect(try Codec.roundTrip([PGTransactionID(9)]) == [PGTransactionID(9)])
        let date = Date(timeIntervalSince1970: 1_000)
        #expect(try Codec.roundTrip([date]) == [date])
    }

    @Test func arrayTypesAreTheBuiltInOnes() {
        #expect([Bool]().pgDataType == .boolArray)
        #expect([Int16]().pgDataType == .int2Array)
        #expect([Int]().pgDataType == .int8Array)
        #expect([Int64?]().pgDataType == .int8Array)
        #expect([String]().pgDataType == .textArray)
        #expect([Date]().pgDataType == .timestamptzArray)
        #expect([PGLocalTimestamp]().pgDataType == .timestampArray)
        #expect([PGDate]().pgDataType == .dateArray)
        #expect([PGNumeric]().pgDataType == .numericArray)
        #expect([Decimal]().pgDataType == .numericArray)
        #expect([PGJSON<Int>]().pgDataType == .jsonbArray)
        #expect([UInt64]().pgDataType == .xid8Array)
        #expect([UInt32]().pgDataType == .oidArray)
        #expect([PGInterval]().pgDataType == .intervalArray)
        #expect([UUID]().pgDataType == .uuidArray)
        #expect([Float]().pgDataType == .float4Array)
    }

    @Test func byteaIsNotAnArrayButByteaArraysAre() throws {
        // [UInt8] is bytea; [[UInt8]] and [Data] are bytea[].
        #expect([UInt8]().pgDataType == .bytea)
        #expect([[UInt8]]().pgDataType == .byteaArray)
        #expect([Data]().pgDataType == .byteaArray)
        let value: [[UInt8]?] = [[0, 1], nil, []]
        let wire = try Codec.encode(value)
        #expect(wire[8..<12] == [0, 0, 0, 17])  // element type bytea
        #expect(try Codec.decode(wire, as: [[UInt8]?].self, type: .byteaArray) == value)
        #expect(try Codec.roundTrip([Data([1, 2])]) == [Data([1, 2])])
    }

    @Test func textElementsFromOtherTextArrays() throws {
        // varchar[] holds varchar elements; String reads them.
        var wire = Codec.hex("0000000100000000" + "00000413" + "0000000100000001")
        wire += Codec.hex("00000002") + Array("hi".utf8)
        #expect(try Codec.decode(wire, as: [String].self, type: .varcharArray) == ["hi"])
        // A user-defined array type (an enum's array) is accepted with its element OID.
        var user = Codec.hex("0000000100000000" + "00004100" + "0000000100000001")
        user += Codec.hex("00000003") + Array("sad".utf8)
        #expect(try Codec.decode(user, as: [String].self, type: PGDataType(16_641)) == ["sad"])
    }

    @Test func userElementTypes() throws {
        let moods: [Mood?] = [.happy, nil, .sad]
        #expect(moods.pgDataType == PGDataType(16_384))
        let wire = try Codec.encode(moods)
        #expect(wire[8..<12] == [0, 0, 0x40, 0x01])  // element type 16385
        #expect(try Codec.decode(wire, as: [Mood?].self, type: PGDataType(16_384)) == moods)
        #expect(try Codec.decode(Array("sad".utf8), as: Mood.self, type: PGDataType(16_385)) == .sad)
        expectDecodingError(
            Codec.decodeError(Array("meh".utf8), as: Mood.self, type: PGDataType(16_385)), "unknown label meh")
    }

    @Test func malformedArraysAreRejected() {
        let cases: [(String, PGDataType, String)] = [
            ("0000000100000000", .int4Array, "header needs 12 bytes"),
            ("000000000000000000000017" + "00", .int4Array, "1 bytes after an empty array"),
            ("000000020000000000000017" + "0000000100000001" + "0000000100000001", .int4Array, "2-dimensional arrays are not supported"),
            ("ffffffff0000000000000017", .int4Array, "invalid number of dimensions -1"),
            ("000000010000000200000017" + "0000000000000001", .int4Array, "invalid array flags 2"),
            ("000000010000000000000014" + "0000000000000001", .int4Array, "declares element type int8"),
            ("000000010000000000000017" + "00000001", .int4Array, "dimension needs 8 bytes"),
            ("000000010000000000000017" + "7fffffff00000001", .int4Array, "2147483647 elements cannot fit in 0 bytes"),
            ("000000010000000000000017" + "ffffffff00000001", .int4Array, "-1 elements cannot fit"),
            ("000000010000000000000017" + "0000000300000001" + "0000000400000001", .int4Array, "3 elements cannot fit in 8 bytes"),
            ("000000010000000000000017" + "0000000100000001" + "00000005" + "00000001", .int4Array, "element 0 of 5 bytes, only 4 left"),
            ("000000010000000000000017" + "0000000100000001" + "fffffffe" + "00000001", .int4Array, "element 0 of -2 bytes"),
            ("000000010000000000000017" + "0000000100000001" + "00000002" + "0001", .int4Array, "element 0: cannot decode int4"),
            ("000000010000000000000017" + "0000000100000001" + "00000004" + "00000001" + "ff", .int4Array, "1 bytes after the last element"),
            ("000000010000000000000017" + "0000000200000001" + "00000004" + "00000001" + "000000", .int4Array, "element 1 length needs 4 bytes"),
            ("000000000000000000000017", .int4, "int4 is not an array type"),
        ]
        for (hex, type, message) in cases {
            expectDecodingError(Codec.decodeError(Codec.hex(hex), as: [Int32?].self, type: type), message)
        }
        expectDecodingError(
            Codec.decodeError(Array("{1,2}".utf8), as: [Int32].self, type: .int4Array, format: .text),
            "text format is not supported for arrays")
    }

    @Test func hugeDeclaredCountsAllocateNothing() {
        // A count of 2^31 - 1 with no bytes behind it must fail before any reservation.
        let wire = Codec.hex("000000010000000000000019" + "7fffffff00000001")
        expectDecodingError(Codec.decodeError(wire, as: [String].self, type: .textArray), "cannot fit")
    }
}
