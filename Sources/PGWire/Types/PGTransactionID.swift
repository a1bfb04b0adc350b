/// A PostgreSQL `xid8`: a 64-bit transaction id that never wraps around, as returned by
/// `pg_current_xact_id()` and compared with `pg_snapshot_xmin(pg_current_snapshot())`.
///
/// `UInt64` is also sent and read as `xid8`; this type keeps transaction ids apart from other
/// numbers.
public struct PGTransactionID: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The full transaction id (epoch in the high 32 bits).
    public var rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The transaction id `rawValue` (the epoch in its high 32 bits).
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: PGTransactionID, rhs: PGTransactionID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
