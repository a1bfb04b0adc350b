import ArgumentParser
import PGEventStore

/// `--expected`: `any`, `no-stream`, `exists` or a version number (0 or more).
struct ExpectedVersionArgument: ExpressibleByArgument, Equatable {
    let value: ExpectedVersion

    init(_ value: ExpectedVersion) { self.value = value }

    init?(argument: String) {
        switch argument.lowercased() {
        case "any": value = .any
        case "no-stream", "no_stream": value = .noStream
        case "exists", "stream-exists": value = .streamExists
        default:
            guard let version = Int64(argument), version >= 0 else { return nil }
            value = .exact(version)
        }
    }

    static var allValueStrings: [String] { ["any", "no-stream", "exists", "<version>"] }
    var defaultValueDescription: String { value.description }
}
