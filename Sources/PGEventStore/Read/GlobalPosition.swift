/// A place in the store's global order: events are ordered by the id of the transaction that
/// wrote them, then by position.
///
/// Positions alone are not enough: a transaction may commit after one that took a later
/// position. Readers only ever see transactions below the oldest one still running, in
/// (transaction, position) order, so a reader that passed a place never finds an event
/// before it later.
public struct GlobalPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The writing transaction's id (`xid8`).
    public var transactionID: UInt64
    /// The event's position.
    public var position: Int64

    /// The place of the event at `position` written by transaction `transactionID`.
    public init(transactionID: UInt64, position: Int64) {
        self.transactionID = transactionID
        self.position = position
    }

    /// Before every event.
    public static let start = GlobalPosition(transactionID: 0, position: 0)

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.transactionID, lhs.position) < (rhs.transactionID, rhs.position)
    }

    /// `<transaction>/<position>`.
    public var description: String { "\(transactionID)/\(position)" }
}
