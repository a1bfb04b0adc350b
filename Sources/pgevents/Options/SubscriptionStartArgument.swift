import ArgumentParser
import PGEventStore

/// `tail --from` and `subscription reset --to`: `start`, `end`, a plain position (looked up in
/// the events table; 0 means the start) or `TXID/POSITION`, as `status` prints places and
/// each event carries them.
enum SubscriptionStartArgument: ExpressibleByArgument, Equatable {
    case start
    case end
    case place(GlobalPosition)
    case position(Int64)

    init?(argument: String) {
        switch argument.lowercased() {
        case "start": self = .start
        case "end": self = .end
        default:
            switch PositionArgument(argument: argument) {
            case .place(let place): self = .place(place)
            case .position(let position): self = .position(position)
            case nil: return nil
            }
        }
    }

    /// What the store takes: every form starts *after* the place it names.
    var value: SubscriptionStart {
        switch self {
        case .start, .position(0): .start
        case .end: .end
        case .place(let place): .after(place)
        case .position(let position): .afterPosition(position)
        }
    }

    static var allValueStrings: [String] { ["start", "end", "<position>", "<txid>/<position>"] }

    var defaultValueDescription: String {
        switch self {
        case .start: "start"
        case .end: "end"
        case .place(let place): place.description
        case .position(let position): String(position)
        }
    }
}
