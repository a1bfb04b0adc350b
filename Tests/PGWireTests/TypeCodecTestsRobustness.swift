import FoundationEssentials
import Testing

@_spi(Fuzzing) @testable import PGWire

/// Decoders never trap: every truncation and many corruptions of valid values, and random
/// bytes through the fuzzing entry point (which also checks encode/decode round trips).
@Suite("Type codecs: robustness")
struct TypeCodecRobustnessTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Decodes every proper prefix of `wire` (all must fail) and every one-byte corruption.
    func mutate<T: PGDecodable>(_ wire: [UInt8], as: T.Type, type: PGDataType) {
        for length in 0..<wire.count {
            #expect(Codec.decodeError(Array(wire[..<length]), as: T.self, type: type)?.code == .decoding,
                "\(T.self) accepted a \(length)-byte prefix of \(wire.count) bytes")
        }
        for index in wire.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var corrupted = wire
                corrupted[index] ^= flip
                _ = try? Codec.decode(corrupted, as: T.self, type: type)
            }
        }
    }

    @Test func truncatedAndCorruptedValues() throws {
        mutate(try Codec.encode(Int64(-5)), as: Int64.self, type: .int8)
        mutate(try Codec.encode(UUID()), as: UUID.self, type: .uuid)
        mutate(try Codec.encode(PGInterval(months: 1, days: 2, microseconds: 3)), as: PGInterval.self, type: .interval)
        mutate(try Codec.encode(PGNumeric("-12345678901234567890.123456789")!), as: PGNumeric.self, type: .numeric)
        mutate(try Codec.encode(PGTimestamp(microsecondsSince2000: 7)), as: Date.self, type: .timestamptz)
        mutate(try Codec.encode(["a", nil, "bc"] as [String?]), as: [String?].self, type: .textArray)
        mutate(try Codec.encode([1, nil, 3] as [Int64?]), as: [Int64?].self, type: .int8Array)
        mutate(try Codec.encode([PGNumeric("1.5")!, PGNumeric("-2")!]), as: [PGNumeric].self, type: .numericArray)
        mutate(try Codec.encode([[1, 2], []] as [[UInt8]]), as: [[UInt8]].self, type: .byteaArray)
    }

    @Test func randomInputsThroughTheFuzzingEntry() {
        var random = SplitMix(state: 0x5EED)
        for round in 0..<40_000 {
            let length = Int(random.next() % 48)
            var input = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if input.count >= 1 { input[0] = UInt8(round % PGValueFuzzing.targetCount) }
            PGValueFuzzing.decode(input)
        }
    }

    @Test func fuzzingEntryRoundTripsValidValues() throws {
        // Valid values of every kind, offered to every target with every type and format, so
        // that the successful decodes reach the round-trip check (which traps on a mismatch).
        let wires: [[UInt8]] = [
            try Codec.encode(PGNumeric("123.4500")!), try Codec.encode(PGNumeric("NaN")!),
            try Codec.encode([1, nil, 3] as [Int32?]), try Codec.encode(["x", nil] as [String?]),
            try Codec.encode(Int64.min), try Codec.encode(Int32(-7)), try Codec.encode(Int16(3)),
            try Codec.encode(Double.nan), try Codec.encode(Float(-0.0)), try Codec.encode(UUID()),
            try Codec.encode(PGInterval(months: -1, days: 2, microseconds: 3)), try Codec.encode(PGRawJSON(#"{"a":1}"#)),
            try Codec.encode([PGNumeric("1.5")!]), try Codec.encode([[0, 1]] as [[UInt8]]),
            Array("12.5".utf8), Array("t".utf8), Array(#"\x00ff"#.utf8), Array("-Infinity".utf8), [0xE9], [],
        ]
        for wire in wires {
            for target in 0..<PGValueFuzzing.targetCount {
                for selector in 0..<32 { PGValueFuzzing.decode([UInt8(target), UInt8(selector)] + wire) }
            }
        }
        #expect(PGValueFuzzing.targetCount > 30)
    }
}
