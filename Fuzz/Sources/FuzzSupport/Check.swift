/// Fuzzer verdicts: a broken invariant traps, so that libFuzzer records the input as a crash.
/// (A thrown error from a decoder is a normal outcome, never a finding.)
@inline(never)
public func fail(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("fuzz invariant broken: \(message())", file: file, line: line)
}

@inline(__always)
public func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fail(message(), file: file, line: line) }
}

/// SplitMix64: a small deterministic generator, so that an input always replays the same way.
struct SplitMix {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}

extension Array where Element == UInt8 {
    /// The fuzzer's input as an array (libFuzzer may pass a null pointer with a count of 0).
    public init(fuzzInput start: UnsafeRawPointer?, count: Int) {
        if let start, count > 0 {
            self.init(UnsafeRawBufferPointer(start: start, count: count))
        } else {
            self = []
        }
    }
}
