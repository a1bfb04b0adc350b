import ArgumentParser
import PGEventStore

/// `--expected`: `any`, `no-stream`, `exists` or a version number (0 or more).
struct ExpectedVersionArgument: ExpressibleByArgument, Equatable {
    let value: ExpectedVersion

    init(_ value: ExpectedVersion) { self.value = value }

    init?(argument: String) {
        // The library's own spellings (`no_stream`), the tool's hyphenated ones, any case.
        let text = argument.lowercased()
        guard let value = ExpectedVersion(Self.aliases[text] ?? text) else { return nil }
        self.value = value
    }

    private static let aliases = ["no-stream": "no_stream", "stream-exists": "exists"]

    static var allValueStrings: [String] { ["any", "no-stream", "exists", "<version>"] }
    var defaultValueDescription: String { value.description }
}
