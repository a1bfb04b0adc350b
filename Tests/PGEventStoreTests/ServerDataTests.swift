import Testing

@testable import PGEventStore

/// The checks that stand between server answers and Swift's traps: each out-of-range input
/// must come back as an `unexpectedResult` error naming what was wrong, never a crash.
@Suite struct ServerDataTests {
    @Test func elementWithinRange() throws {
        #expect(try ServerData.element(0, of: [7], "results") == 7)
        #expect(try ServerData.element(2, of: [1, 2, 3], "results") == 3)
    }

    @Test(arguments: [(1, 0), (1, 1), (3, 2), (-1, 2), (Int.max, 1)])
    func elementPastTheEndIsAnError(index: Int, count: Int) {
        let failure = error { _ = try ServerData.element(index, of: Array(repeating: 0, count: count), "results of the batch") }
        #expect(failure?.code == .unexpectedResult)
        #expect(failure?.message.contains("results of the batch") == true)
        #expect(failure?.message.contains("the server sent \(count)") == true)
    }

    @Test func exactlyTheCountAsked() throws {
        #expect(try ServerData.exactly(2, ["a", "b"], "rows") == ["a", "b"])
        #expect(try ServerData.exactly(0, [Int](), "rows") == [])
    }

    @Test(arguments: [0, 1, 3])
    func anotherCountIsAnError(count: Int) {
        let failure = error { _ = try ServerData.exactly(2, Array(repeating: 0, count: count), "rows for the appended events") }
        #expect(failure?.code == .unexpectedResult)
        #expect(failure?.message == "expected 2 rows for the appended events, the server sent \(count)")
    }

    @Test func unsignedKeepsNonNegativeValues() throws {
        #expect(try ServerData.unsigned(0, "xid") == 0)
        #expect(try ServerData.unsigned(Int64.max, "xid") == UInt64(Int64.max))
    }

    @Test(arguments: [Int64(-1), Int64.min])
    func negativeUnsignedIsAnError(value: Int64) {
        let failure = error { _ = try ServerData.unsigned(value, "the barrier holder's transaction id") }
        #expect(failure?.code == .unexpectedResult)
        #expect(failure?.message.contains("the barrier holder's transaction id is \(value)") == true)
    }

    @Test func sumAndDifferenceInRange() throws {
        #expect(try ServerData.sum(41, 1, "v") == 42)
        #expect(try ServerData.sum(Int64.max - 1, 1, "v") == Int64.max)
        #expect(try ServerData.difference(1, 1, "v") == 0)
        #expect(try ServerData.difference(Int64.min + 1, 1, "v") == Int64.min)
    }

    @Test(arguments: [(Int64.max, Int64(1)), (Int64.min, Int64(-1)), (Int64.max, Int64.max)])
    func sumOutOfRangeIsAnError(value: Int64, amount: Int64) {
        let failure = error { _ = try ServerData.sum(value, amount, "the next version") }
        #expect(failure?.code == .unexpectedResult)
        #expect(failure?.message.hasPrefix("the next version: ") == true)
    }

    @Test(arguments: [(Int64.min, Int64(1)), (Int64.max, Int64(-1)), (Int64(-2), Int64.max)])
    func differenceOutOfRangeIsAnError(value: Int64, amount: Int64) {
        let failure = error { _ = try ServerData.difference(value, amount, "the version before the append") }
        #expect(failure?.code == .unexpectedResult)
        #expect(failure?.message.contains("out of the range of int8") == true)
    }
}
