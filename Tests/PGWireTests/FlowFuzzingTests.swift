@_spi(Fuzzing) @testable import PGWire
import Testing

/// The flow machines' fuzz entry (Fuzz/Sources/FuzzFlowMachines) run on deterministic random
/// inputs: every invariant it checks must hold.
@Suite struct FlowFuzzingTests {
    @Test func randomMessageSequencesKeepEveryInvariant() {
        var generator = SeededBytes(seed: 0x5EED)
        for round in 0..<4_000 {
            let input = generator.bytes(count: 2 + round % 64)
            let broken = PGFlowFuzzing.run(input)
            #expect(broken == nil, "input \(input): \(broken ?? "")")
            if broken != nil { return }
        }
    }

    @Test func everyFlowIsReachable() {
        for selector in 0..<PGFlowFuzzing.flowCount {
            // A flow given only its end must still finish cleanly.
            #expect(PGFlowFuzzing.run([UInt8(selector), 0]) == nil)
        }
    }

    @Test func aProperExchangeEndsEachQueryFlow() {
        // Extended query, parse, described: ParseComplete, BindComplete, RowDescription(1),
        // DataRow(1), CommandComplete, ReadyForQuery (kind, detail pairs).
        let extended: [UInt8] = [1, 0x80, 6, 0, 7, 0, 2, 1, 1, 1, 3, 1, 0, 0]
        #expect(PGFlowFuzzing.run(extended) == nil)
    }
}

/// A small deterministic byte generator (SplitMix64).
struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
