import Foundation
import Testing

@testable import PGEventStore

private func bytes(_ id: UUID) -> [UInt8] { withUnsafeBytes(of: id.uuid) { Array($0) } }

/// Byte-wise order, as PostgreSQL's uuid btree compares.
private func ascending(_ a: UUID, _ b: UUID) -> Bool { bytes(a).lexicographicallyPrecedes(bytes(b)) }

@Suite struct UUIDv7Tests {
    @Test func layoutMatchesRFC9562Example() {
        // RFC 9562 appendix A.6: 2022-02-22 19:22:22 UTC, rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F.
        let id = UUIDv7.make(millis: 0x017F_22E2_79B0, randA: 0xCC3, randB: 0x18C4_DC0C_0C07_398F)
        #expect(id == UUID(uuidString: "017F22E2-79B0-7CC3-98C4-DC0C0C07398F"))
    }

    @Test func fixedDateGivesExpectedTimestampBytes() {
        let id = UUIDv7.generate(at: Date(timeIntervalSince1970: 1_645_557_742.000_9))
        #expect(Array(bytes(id)[0..<6]) == [0x01, 0x7F, 0x22, 0xE2, 0x79, 0xB0])
        #expect(UUIDv7.timestampMilliseconds(of: id) == 1_645_557_742_000)
    }

    @Test func versionAndVariantBits() {
        for id in (0..<1000).map({ _ in UUIDv7.generate() }) + [UUIDv7.generate(at: Date())] {
            let b = bytes(id)
            #expect(b[6] >> 4 == 7)
            #expect(b[8] >> 6 == 0b10)
        }
    }

    @Test func randomBitsDiffer() {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let a = bytes(UUIDv7.generate(at: date))
        let b = bytes(UUIDv7.generate(at: date))
        #expect(a[0..<6] == b[0..<6])
        #expect(a[6...] != b[6...])
    }

    @Test func timestampRoundTrip() {
        for seconds in [0.0, 1.0, 1_000_000_000.123, 1_704_067_200, 4_102_444_800.999] {
            let id = UUIDv7.generate(at: Date(timeIntervalSince1970: seconds))
            #expect(UUIDv7.timestampMilliseconds(of: id) == UInt64((seconds * 1000).rounded(.down)))
        }
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let stamp = UUIDv7.timestampMilliseconds(of: UUIDv7.generate())
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        // Other tests may run the generator ahead of the clock by a few milliseconds.
        #expect(stamp.map { $0 >= before && $0 <= after + 5_000 } == true)
    }

    @Test func outOfRangeDatesAreClamped() {
        #expect(UUIDv7.timestampMilliseconds(of: UUIDv7.generate(at: Date(timeIntervalSince1970: -5))) == 0)
        #expect(UUIDv7.timestampMilliseconds(of: UUIDv7.generate(at: Date(timeIntervalSince1970: 1e15))) == 0xFFFF_FFFF_FFFF)
        #expect(UUIDv7.timestampMilliseconds(of: UUIDv7.generate(at: Date(timeIntervalSince1970: .nan))) == 0)
    }

    @Test func otherVersionsHaveNoTimestamp() {
        #expect(UUIDv7.timestampMilliseconds(of: UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!) == nil)
        #expect(UUIDv7.timestampMilliseconds(of: UUID()) == nil)
        // Version 7 nibble but the wrong variant.
        #expect(UUIDv7.timestampMilliseconds(of: UUID(uuidString: "017F22E2-79B0-7CC3-18C4-DC0C0C07398F")!) == nil)
    }

    @Test func consecutiveIDsAscend() {
        var previous = UUIDv7.generate()
        for _ in 0..<100_000 {
            let next = UUIDv7.generate()
            #expect(ascending(previous, next), "\(previous) !< \(next)")
            if !ascending(previous, next) { return }
            previous = next
        }
    }

    @Test func concurrentGenerationGivesUniqueAscendingIDs() async {
        let batches = await withTaskGroup(of: [UUID].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<10_000).map { _ in UUIDv7.generate() } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(batches.joined()).count == 80_000)
        for batch in batches {
            #expect(zip(batch, batch.dropFirst()).allSatisfy { ascending($0, $1) })
        }
    }

    @Test func sequencerCountsWithinOneMillisecond() {
        var sequencer = UUIDv7Sequencer()
        let first = sequencer.next(now: 1000, seed: 0xFFFF)
        #expect(first.millis == 1000 && first.counter == 0x7FF)  // top counter bit starts clear
        let second = sequencer.next(now: 1000, seed: 0)
        #expect(second.millis == 1000 && second.counter == 0x800)
        let third = sequencer.next(now: 1001, seed: 5)
        #expect(third.millis == 1001 && third.counter == 5)
    }

    @Test func sequencerKeepsOrderWhenClockGoesBack() {
        var sequencer = UUIDv7Sequencer()
        _ = sequencer.next(now: 5000, seed: 10)
        let back = sequencer.next(now: 4000, seed: 0)
        #expect(back.millis == 5000 && back.counter == 11)
    }

    @Test func sequencerAdvancesTimestampWhenCounterOverflows() {
        var sequencer = UUIDv7Sequencer()
        var last = sequencer.next(now: 7, seed: 0)
        for _ in 0..<0xFFF {
            last = sequencer.next(now: 7, seed: 0)
        }
        #expect(last.millis == 7 && last.counter == 0xFFF)
        let overflow = sequencer.next(now: 7, seed: 3)
        #expect(overflow.millis == 8 && overflow.counter == 3)
        // The clock catching up to the borrowed millisecond still counts up.
        let caughtUp = sequencer.next(now: 8, seed: 0)
        #expect(caughtUp.millis == 8 && caughtUp.counter == 4)
    }
}
