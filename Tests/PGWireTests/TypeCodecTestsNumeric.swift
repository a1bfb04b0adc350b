import FoundationEssentials
import Testing

@testable import PGWire

/// numeric. Vectors from numeric_send on a PostgreSQL 15 server.
@Suite("Type codecs: numeric")
struct TypeCodecNumericTests {
    /// numeric_send output as (text, hex) pairs.
    static let vectors: [(String, String)] = [
        ("1.50", "000200000000000200011388"),
        ("0.000", "0000000000000003"),
        ("-123.4500", "0002000040000004007b1194"),
        ("NaN", "00000000c0000000"),
        ("0.0001", "0001ffff000000040001"),
        ("12345678.9", "000300010000000104d2162e2328"),
        ("12345678901234567890.12345", "000700040000000504d2162e23340d801ed204d21388"),
        ("-0.00001234", "0001fffe4000000804d2"),
        ("100000000000000000000", "00010005000000000001"),
        ("0.00001", "0001fffe0000000503e8"),
    ]

    @Test(arguments: vectors)
    func knownVectors(text: String, hex: String) throws {
        let value = try #require(PGNumeric(text))
        #expect(value.description == text)
        #expect(try Codec.encode(value) == Codec.hex(hex))
        let decoded = try Codec.decode(Codec.hex(hex), as: PGNumeric.self, type: .numeric)
        #expect(decoded.description == text)
        #expect(decoded == value)
    }

    @Test func fieldsOfOnePointFifty() throws {
        let value = try #require(PGNumeric("1.50"))
        #expect(value.sign == .positive)
        #expect(value.weight == 0)
        #expect(value.displayScale == 2)
        #expect(value.digits == [1, 5000])
    }

    @Test func infinitiesAsTheServerSendsThem() throws {
        // numeric_send('Infinity') carries a display scale of no meaning (0x20 here).
        let infinity = try Codec.decode(Codec.hex("00000000d0000020"), as: PGNumeric.self, type: .numeric)
        #expect(infinity == .infinity && infinity.description == "Infinity" && infinity.isInfinite)
        let negative = try Codec.decode(Codec.hex("00000000f0000020"), as: PGNumeric.self, type: .numeric)
        #expect(negative == .negativeInfinity && negative.description == "-Infinity")
        #expect(try Codec.encode(PGNumeric.infinity) == Codec.hex("00000000d0000000"))
        #expect(try Codec.roundTrip(PGNumeric.nan).isNaN)
    }

    @Test func parsingFollowsNumericIn() throws {
        let cases: [(String, String)] = [
            ("1e5", "100000"), ("1.5e-3", "0.0015"), ("  -0.000 ", "0.000"), ("+.5", "0.5"), ("5.", "5"),
            ("-0", "0"), ("007.10", "7.10"), ("1E+2", "100"), ("inf", "Infinity"), ("-INFINITY", "-Infinity"),
            ("nan", "NaN"), ("0.1e1", "1"), ("123.456e1", "1234.56"), ("9999.9999", "9999.9999"),
            ("10000", "10000"), ("0.00000000000000000001", "0.00000000000000000001"),
        ]
        for (input, printed) in cases {
            #expect(PGNumeric(input)?.description == printed, "\(input)")
        }
        for bad in ["", " ", ".", "-", "1e", "1e+", "1.2.3", "1,5", "abc", "1 2", "0x10", "e5", "--1", "Infinityx"] {
            #expect(PGNumeric(bad) == nil, "\(bad)")
        }
        // Beyond the binary format: weight above Int16, display scale above 16383.
        #expect(PGNumeric("1e131072") == nil)
        #expect(PGNumeric("1e131071") != nil)
        #expect(PGNumeric("1e-16384") == nil)
        #expect(PGNumeric("1e-16383")?.displayScale == 16383)
    }

    @Test func thousandDigitsRoundTrip() throws {
        let integer = String((0..<1000).map { Character(String(($0 * 7 + 3) % 10)) }).drop { $0 == "0" }
        for text in ["-" + integer, integer + "." + integer, "0." + integer, String(integer) + "e-1500"] {
            let value = try #require(PGNumeric(String(text)))
            let back = try Codec.roundTrip(value)
            #expect(back.description == value.description)
            #expect(back.displayScale == value.displayScale && back.digits == value.digits)
        }
        let value = PGNumeric("-" + integer)!
        #expect(value.description == "-" + integer)
        #expect(value.digits.count == 250)
    }

    @Test func integersConvertExactly() throws {
        #expect(PGNumeric(Int64.min).description == "-9223372036854775808")
        #expect(PGNumeric(UInt64.max).description == "18446744073709551615")
        #expect(PGNumeric(0) == .zero && PGNumeric(0).description == "0")
        #expect(PGNumeric(10_000).digits == [1] && PGNumeric(10_000).weight == 1)
        // int8 columns decode as numeric too.
        #expect(try Codec.decode(Codec.encode(Int64(-5)), as: PGNumeric.self, type: .int8) == PGNumeric(-5))
        #expect(try Codec.decodeText("12.30", as: PGNumeric.self, type: .numeric).description == "12.30")
    }

    @Test func equalityAndOrderCompareValues() {
        #expect(PGNumeric("1.5") == PGNumeric("1.50"))
        #expect(PGNumeric("1.5")!.hashValue == PGNumeric("1.50")!.hashValue)
        #expect(PGNumeric("0") == PGNumeric("-0.000"))
        let ordered = ["-Infinity", "-10000", "-9999.5", "-0.001", "0", "0.0001", "1", "1.00001", "9999", "10000", "Infinity", "NaN"]
            .map { PGNumeric($0)! }
        for (index, value) in ordered.enumerated() {
            for later in ordered[(index + 1)...] { #expect(value < later, "\(value) < \(later)") }
            #expect(!(value < value))
        }
    }

    @Test func fieldInitialiserNormalisesLikeNumericRecv() throws {
        // Leading and trailing zero digits go; digits hidden by the display scale are truncated.
        let value = try #require(PGNumeric(sign: .positive, weight: 1, displayScale: 2, digits: [0, 12, 3456, 7800]))
        #expect(value.description == "12.34")
        #expect(value.weight == 0 && value.digits == [12, 3400])
        #expect(PGNumeric(sign: .negative, weight: 0, displayScale: 0, digits: [0, 0])?.description == "0")
        #expect(PGNumeric(sign: .positive, weight: 0, displayScale: 0, digits: [10_000]) == nil)
        #expect(PGNumeric(sign: .positive, weight: 0, displayScale: 0x4000, digits: []) == nil)
        // Decoding does the same.
        let wire = Codec.hex("0003000100000002" + "0000" + "000c" + "0d80")  // [0, 12, 3456], weight 1, dscale 2
        #expect(try Codec.decode(wire, as: PGNumeric.self, type: .numeric).description == "12.34")
    }

    @Test func malformedNumericIsRejected() {
        let cases: [(String, String)] = [
            ("000100000000", "header needs 8 bytes"),
            ("0002000000000000" + "0001", "2 numeric digits need 4 bytes, got 2"),
            ("0001000000000000" + "00010002", "need 2 bytes, got 4"),
            ("0000000012340000", "invalid numeric sign 0x1234"),
            ("0000000000004000", "invalid numeric display scale 16384"),
            ("0001000000000000" + "2710", "invalid numeric digit 10000"),
            ("0001000000000000" + "ffff", "invalid numeric digit -1"),
            ("ffff000000000000", "65535 numeric digits need 131070 bytes"),
        ]
        for (hex, message) in cases {
            expectDecodingError(Codec.decodeError(Codec.hex(hex), as: PGNumeric.self, type: .numeric), message)
        }
        expectDecodingError(Codec.decodeError(Array("1.2.3".utf8), as: PGNumeric.self, type: .numeric, format: .text), "invalid numeric")
        expectDecodingError(Codec.decodeError(Codec.hex("0000000000000000"), as: PGNumeric.self, type: .float8), "cannot be decoded")
    }

    // MARK: Decimal

    @Test func decimalConversions() throws {
        #expect(PGNumeric(Decimal(string: "1.50")!).description == "1.5")
        #expect(PGNumeric(Decimal(string: "-0.00001")!).description == "-0.00001")
        #expect(PGNumeric(Decimal.nan).isNaN)
        #expect(PGNumeric(Decimal(0)).description == "0")
        for text in ["1.5", "-123.45", "0.0001", "99999999999999999999999999999999999999", "1e127", "1e-128", "-1e50", "0"] {
            let numeric = PGNumeric(text)!
            let decimal = try #require(Decimal(exactly: numeric), "\(text)")
            #expect(decimal == Decimal(string: text)!, "\(text)")
            #expect(PGNumeric(decimal) == numeric, "\(text)")
        }
        #expect(Decimal(exactly: .nan)?.isNaN == true)
        // Out of Decimal's range: 39 significant digits, tiny or huge exponents, infinities.
        for text in ["123456789012345678901234567890123456789", "1e-129", "1e200", "0.1234567890123456789012345678901234567891"] {
            #expect(Decimal(exactly: PGNumeric(text)!) == nil, "\(text)")
        }
        #expect(Decimal(exactly: .infinity) == nil)
    }

    @Test func decimalCodec() throws {
        let value = Decimal(string: "-1234.5678")!
        #expect(value.pgDataType == .numeric)
        #expect(try Codec.encode(value) == Codec.encode(PGNumeric("-1234.5678")!))
        #expect(try Codec.roundTrip(value) == value)
        #expect(try Codec.decodeText("3.14", as: Decimal.self, type: .numeric) == Decimal(string: "3.14")!)
        let huge = try Codec.encode(PGNumeric("1" + String(repeating: "0", count: 300) + "1")!)
        expectDecodingError(Codec.decodeError(huge, as: Decimal.self, type: .numeric), "out of Decimal's range")
        expectDecodingError(
            Codec.decodeError(Codec.hex("00000000d0000000"), as: Decimal.self, type: .numeric), "Infinity is out of Decimal's range")
    }
}
