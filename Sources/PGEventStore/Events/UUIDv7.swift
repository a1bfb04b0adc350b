#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
internal import Synchronization

/// Time-ordered UUIDs, version 7 (RFC 9562, section 5.7).
///
/// The first 48 bits are the Unix time in milliseconds, big-endian, so ids made later sort later,
/// both as 16-byte values and in PostgreSQL's `uuid` btree. Event ids made this way keep an index
/// on them append-only, unlike random (version 4) ids, which land all over the index.
///
/// ```swift
/// let id = UUIDv7.generate()
/// ```
public enum UUIDv7 {
    /// A new id for the current time.
    ///
    /// Ids generated one after another in this process always sort ascending, even when many fall
    /// in the same millisecond or the system clock steps back: the 12 bits after the version hold
    /// a counter (RFC 9562, section 6.2, method 1), and when the counter runs out the timestamp is
    /// moved one millisecond ahead of the clock. Safe to call from any thread.
    public static func generate() -> UUID {
        var random = SystemRandomNumberGenerator()
        let randB: UInt64 = random.next()
        let seed = UInt16(truncatingIfNeeded: random.next() as UInt64)
        let now = milliseconds(since1970: Date())
        let (millis, counter) = sequencer.withLock { $0.next(now: now, seed: seed) }
        return make(millis: millis, randA: counter, randB: randB)
    }

    /// A new id for `date`, with every bit after the timestamp random.
    ///
    /// Unlike ``generate()`` this takes no part in the process-wide ordering: it is for ids that
    /// must carry a given time (imports, tests). Dates before 1970 use timestamp 0; dates past the
    /// 48-bit range (the year 10889) use the largest timestamp.
    public static func generate(at date: Date) -> UUID {
        var random = SystemRandomNumberGenerator()
        let randB: UInt64 = random.next()
        let randA = UInt16(truncatingIfNeeded: random.next() as UInt64)
        return make(millis: milliseconds(since1970: date), randA: randA, randB: randB)
    }

    /// The Unix time in milliseconds stored in a version 7 UUID, or nil when `id` is not one
    /// (wrong version or variant bits).
    static func timestampMilliseconds(of id: UUID) -> UInt64? {
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        guard bytes[6] >> 4 == 7, bytes[8] & 0xC0 == 0x80 else { return nil }
        return bytes[0..<6].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The largest timestamp that fits in 48 bits.
    static let maxMilliseconds: UInt64 = 0xFFFF_FFFF_FFFF

    private static let sequencer = Mutex(UUIDv7Sequencer())

    /// Whole milliseconds since 1970, clamped to 0...``maxMilliseconds`` (NaN gives 0).
    static func milliseconds(since1970 date: Date) -> UInt64 {
        let millis = (date.timeIntervalSince1970 * 1000).rounded(.down)
        guard millis > 0 else { return 0 }
        guard millis < Double(maxMilliseconds) else { return maxMilliseconds }
        return UInt64(millis)
    }

    /// Lays out the fields: 48-bit timestamp, version 7, 12 bits of `randA`, variant 0b10 and the
    /// low 62 bits of `randB`.
    static func make(millis: UInt64, randA: UInt16, randB: UInt64) -> UUID {
        let t = millis & maxMilliseconds
        func byte(_ value: UInt64, _ shift: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: value >> shift) }
        return UUID(uuid: (
            byte(t, 40), byte(t, 32), byte(t, 24), byte(t, 16), byte(t, 8), byte(t, 0),
            0x70 | UInt8(truncatingIfNeeded: randA >> 8) & 0x0F, UInt8(truncatingIfNeeded: randA),
            0x80 | byte(randB, 56) & 0x3F, byte(randB, 48), byte(randB, 40), byte(randB, 32),
            byte(randB, 24), byte(randB, 16), byte(randB, 8), byte(randB, 0)
        ))
    }
}

/// Picks the timestamp and counter of the next ``UUIDv7`` so that each pair is greater than the
/// one before; a value type so tests can drive it with any clock readings.
///
/// On a new millisecond the 12-bit counter starts at a random value below 2048 (RFC 9562, section
/// 6.2: the top bit starts clear so at least 2048 more ids fit in that millisecond). In the same
/// millisecond, or when the clock reads earlier than the last timestamp, the last timestamp is
/// kept and the counter goes up by one; when it would pass 4095, the timestamp moves one
/// millisecond ahead and the counter starts afresh.
struct UUIDv7Sequencer: Sendable {
    private(set) var lastMillis: UInt64 = 0
    private(set) var counter: UInt16 = 0
    private var started = false

    /// The timestamp and counter for the next id. `now` is the clock in milliseconds, `seed` the
    /// random bits a new counter starts from.
    mutating func next(now: UInt64, seed: UInt16) -> (millis: UInt64, counter: UInt16) {
        if !started || now > lastMillis {
            started = true
            lastMillis = min(now, UUIDv7.maxMilliseconds)
            counter = seed & 0x7FF
        } else if counter < 0xFFF {
            counter += 1
        } else {
            // At the 48-bit limit (the year 10889) there is no later timestamp; ids stay unique
            // by their random bits but no longer ascend.
            lastMillis = min(lastMillis + 1, UUIDv7.maxMilliseconds)
            counter = seed & 0x7FF
        }
        return (lastMillis, counter)
    }
}
