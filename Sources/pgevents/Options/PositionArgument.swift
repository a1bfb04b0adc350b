import ArgumentParser
import PGEventStore

/// `read-all --from`: a place in the global order, as `TXID/POSITION` (what `status` prints
/// as the head, and every event's `transaction_id`/`position`), or a plain position number,
/// which is looked up in the events table.
enum PositionArgument: ExpressibleByArgument, Equatable {
    case place(GlobalPosition)
    case position(Int64)

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let position = Int64(parts[0]), position >= 0 else { return nil }
            self = .position(position)
        case 2:
            guard let transaction = UInt64(parts[0]), let position = Int64(parts[1]), position >= 0 else { return nil }
            self = .place(GlobalPosition(transactionID: transaction, position: position))
        default:
            return nil
        }
    }
}
