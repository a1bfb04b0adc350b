import FoundationEssentials
import Testing

@testable import PGWire

/// bool, integers, floats, oid, xid8 and uuid: vectors from int2send, int4send, ... (checked
/// against a PostgreSQL 15 server with `SELECT int2send(-2::int2)` and so on).
@Suite("Type codecs: scalars")
struct TypeCodecScalarTests {
    @Test func boolVectors() throws {
        #expect(try Codec.encode(true) == [1])
        #expect(try Codec.encode(false) == [0])
        #expect(try Codec.decode([1], as: Bool.self, type: .bool) == true)
        #expect(try Codec.decode([0], as: Bool.self, type: .bool) == false)
        #expect(try Codec.decodeText("t", as: Bool.self, type: .bool) == true)
        #expect(try Codec.decodeText("f", as: Bool.self, type: .bool) == false)
        expectDecodingError(Codec.decodeError([], as: Bool.self, type: .bool), "expected 1 bytes")
        expectDecodingError(Codec.decodeError([0, 1], as: Bool.self, type: .bool), "got 2")
        expectDecodingError(Codec.decodeError(Array("x".utf8), as: Bool.self, type: .bool, format: .text), "t or f")
        expectDecodingError(Codec.decodeError([1], as: Bool.self, type: .int2), "cannot be decoded from")
    }

    @Test func integerVectors() throws {
        #expect(try Codec.encode(Int16(-2)) == Codec.hex("fffe"))
        #expect(try Codec.encode(Int32.max) == Codec.hex("7fffffff"))
        #expect(try Codec.encode(Int64.min) == Codec.hex("8000000000000000"))
        #expect(try Codec.encode(Int(-1)) == Codec.hex("ffffffffffffffff"))
        #expect(Int(0).pgDataType == .int8)
        #expect(try Codec.encode(UInt32(0xDEAD_BEEF)) == [0xDE, 0xAD, 0xBE, 0xEF])
        #expect(try Codec.decode(Codec.hex("fffe"), as: Int16.self, type: .int2) == -2)
        #expect(try Codec.decode(Codec.hex("8000000000000000"), as: Int64.self, type: .int8) == .min)
        #expect(try Codec.decode([0xDE, 0xAD, 0xBE, 0xEF], as: UInt32.self, type: .oid) == 0xDEAD_BEEF)
    }

    @Test(arguments: [Int64.min, -1, 0, 1, Int64(Int32.max) + 1, .max])
    func int64RoundTrips(value: Int64) throws {
        #expect(try Codec.roundTrip(value) == value)
        #expect(try Codec.roundTrip(Int(value)) == Int(value))
        #expect(try Codec.decodeText(String(value), as: Int64.self, type: .int8) == value)
    }

    @Test func narrowIntegersRoundTripAtTheirEdges() throws {
        for value in [Int16.min, -1, 0, .max] {
            #expect(try Codec.roundTrip(value) == value)
            #expect(try Codec.decodeText(String(value), as: Int16.self, type: .int2) == value)
        }
        for value in [Int32.min, -1, 0, .max] {
            #expect(try Codec.roundTrip(value) == value)
            #expect(try Codec.decodeText(String(value), as: Int32.self, type: .int4) == value)
        }
        for value in [UInt32.min, .max] { #expect(try Codec.roundTrip(value) == value) }
    }

    @Test func integersWidenFromNarrowerTypesOnly() throws {
        let int2 = try Codec.encode(Int16.min)
        let int4 = try Codec.encode(Int32.min)
        #expect(try Codec.decode(int2, as: Int32.self, type: .int2) == Int32(Int16.min))
        #expect(try Codec.decode(int2, as: Int64.self, type: .int2) == Int64(Int16.min))
        #expect(try Codec.decode(int4, as: Int.self, type: .int4) == Int(Int32.min))
        #expect(try Codec.decodeText("-32768", as: Int.self, type: .int2) == -32768)
        expectDecodingError(Codec.decodeError(int4, as: Int16.self, type: .int4), "cannot be decoded from")
        expectDecodingError(Codec.decodeError(try Codec.encode(Int64(1)), as: Int32.self, type: .int8), "int8")
    }

    @Test func integerSizesAreChecked() {
        expectDecodingError(Codec.decodeError([0, 0, 1], as: Int32.self, type: .int4), "expected 4 bytes")
        expectDecodingError(Codec.decodeError([0, 0, 0, 0, 1], as: Int32.self, type: .int4), "got 5")
        expectDecodingError(Codec.decodeError([0, 0, 0, 1], as: Int64.self, type: .int8), "expected 8 bytes")
        expectDecodingError(Codec.decodeError([0, 1, 2], as: Int.self, type: .int2), "expected 2 bytes")
        expectDecodingError(Codec.decodeError([], as: Int16.self, type: .int2), "got 0")
        expectDecodingError(Codec.decodeError([1, 2, 3], as: UInt32.self, type: .oid), "expected 4 bytes")
    }

    @Test(arguments: ["", "-", "+", "1a", " 1", "1 ", "9223372036854775808", "--1", "0x10"])
    func malformedIntegerTextIsRejected(text: String) {
        expectDecodingError(Codec.decodeError(Array(text.utf8), as: Int64.self, type: .int8, format: .text), "text format")
    }

    @Test func integerTextRangeIsChecked() throws {
        #expect(try Codec.decodeText("-9223372036854775808", as: Int64.self, type: .int8) == .min)
        #expect(try Codec.decodeText("+42", as: Int64.self, type: .int8) == 42)
        expectDecodingError(
            Codec.decodeError(Array("32768".utf8), as: Int16.self, type: .int2, format: .text), "text format")
        #expect(try Codec.decodeText("4294967295", as: UInt32.self, type: .oid) == .max)
        expectDecodingError(
            Codec.decodeError(Array("-1".utf8), as: UInt32.self, type: .oid, format: .text), "unsigned")
    }

    @Test func floatVectors() throws {
        #expect(try Codec.encode(Float.nan) == Codec.hex("7fc00000"))
        #expect(try Codec.encode(-Float.infinity) == Codec.hex("ff800000"))
        #expect(try Codec.encode(Double.infinity) == Codec.hex("7ff0000000000000"))
        #expect(try Codec.encode(1.5) == Codec.hex("3ff8000000000000"))
        #expect(try Codec.decode(Codec.hex("3ff8000000000000"), as: Double.self, type: .float8) == 1.5)
        #expect(try Codec.decode(Codec.hex("ff800000"), as: Float.self, type: .float4) == -.infinity)
    }

    @Test func floatEdgesRoundTrip() throws {
        for value in [Float.nan, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.1] {
            let back = try Codec.roundTrip(value)
            #expect(back.bitPattern == value.bitPattern)
        }
        for value in [Double.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1] {
            let back = try Codec.roundTrip(value)
            #expect(back.bitPattern == value.bitPattern)
        }
        // float4 widens exactly into Double.
        let float4 = try Codec.encode(Float(0.1))
        #expect(try Codec.decode(float4, as: Double.self, type: .float4) == Double(Float(0.1)))
        #expect(try Codec.decode(Codec.encode(Float.nan), as: Double.self, type: .float4).isNaN)
        expectDecodingError(Codec.decodeError(try Codec.encode(0.1), as: Float.self, type: .float8), "cannot be decoded")
        expectDecodingError(Codec.decodeError([0, 0, 0, 0], as: Double.self, type: .float8), "expected 8 bytes")
    }

    @Test func floatText() throws {
        #expect(try Codec.decodeText("NaN", as: Double.self, type: .float8).isNaN)
        #expect(try Codec.decodeText("Infinity", as: Double.self, type: .float8) == .infinity)
        #expect(try Codec.decodeText("-Infinity", as: Float.self, type: .float4) == -.infinity)
        #expect(try Codec.decodeText("1.5e-07", as: Double.self, type: .float8) == 1.5e-7)
        #expect(try Codec.decodeText("0.1", as: Double.self, type: .float4) == Double(Float(0.1)))
        expectDecodingError(Codec.decodeError(Array("nan".utf8), as: Double.self, type: .float8, format: .text), "text")
        expectDecodingError(Codec.decodeError(Array("1.5x".utf8), as: Double.self, type: .float8, format: .text), "text")
    }

    @Test func xid8() throws {
        #expect(try Codec.encode(UInt64(123)) == Codec.hex("000000000000007b"))
        #expect(UInt64(1).pgDataType == .xid8)
        #expect(try Codec.roundTrip(UInt64.max) == .max)
        #expect(try Codec.decode(Codec.hex("ffffffffffffffff"), as: PGTransactionID.self, type: .xid8).rawValue == .max)
        #expect(try Codec.decodeText("18446744073709551615", as: PGTransactionID.self, type: .xid8) == PGTransactionID(.max))
        #expect(try Codec.roundTrip(PGTransactionID(42)) == PGTransactionID(42))
        #expect(PGTransactionID(1) < PGTransactionID(2))
        expectDecodingError(
            Codec.decodeError(Array("18446744073709551616".utf8), as: UInt64.self, type: .xid8, format: .text), "xid8")
        expectDecodingError(Codec.decodeError([0, 0, 0, 1], as: PGTransactionID.self, type: .xid8), "expected 8 bytes")
        expectDecodingError(Codec.decodeError(Codec.hex("000000000000007b"), as: UInt64.self, type: .int8), "cannot")
    }

    @Test func uuid() throws {
        let text = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        let value = UUID(uuidString: text)!
        let wire = Codec.hex("a0eebc999c0b4ef8bb6d6bb9bd380a11")
        #expect(try Codec.encode(value) == wire)
        #expect(try Codec.decode(wire, as: UUID.self, type: .uuid) == value)
        #expect(try Codec.decodeText(text, as: UUID.self, type: .uuid) == value)
        let random = UUID()
        #expect(try Codec.roundTrip(random) == random)
        expectDecodingError(Codec.decodeError(Array(wire.dropLast()), as: UUID.self, type: .uuid), "expected 16 bytes")
        expectDecodingError(Codec.decodeError(wire + [0], as: UUID.self, type: .uuid), "got 17")
        expectDecodingError(Codec.decodeError(Array("not-a-uuid".utf8), as: UUID.self, type: .uuid, format: .text), "uuid")
        expectDecodingError(Codec.decodeError(wire, as: UUID.self, type: .bytea), "cannot be decoded")
    }

    @Test func oidLikeTypesDecodeAsUInt32() throws {
        let wire: [UInt8] = [0, 0, 0x04, 0xEB]  // 1259, pg_class
        #expect(try Codec.decode(wire, as: UInt32.self, type: PGDataType(2205)) == 1259)  // regclass
        #expect(try Codec.decode(wire, as: UInt32.self, type: PGDataType(28)) == 1259)  // xid
        expectDecodingError(
            Codec.decodeError(Array("pg_class".utf8), as: UInt32.self, type: PGDataType(2205), format: .text),
            "text format is not supported")
    }
}
