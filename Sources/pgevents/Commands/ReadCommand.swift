import ArgumentParser
import PGEventStore

/// `pgevents read`: one stream's events as JSON lines.
struct ReadCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Print a stream's events, one JSON object per line.",
        discussion: """
            Each line: {"id", "stream", "version", "position", "transaction_id", "type", "data", \
            "metadata", "created_at"} (created_at in ISO 8601, UTC). A stream never written \
            prints nothing. A soft-deleted stream shows only the events appended since.

            EXAMPLES:
              pgevents read order-1
              pgevents read order-1 --from 5 --limit 10
              pgevents read order-1 --backward --limit 1     # the last event

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The stream.")
    var stream: String

    @Option(help: ArgumentHelp("Start at this version, inclusive (default: the first, or the last with --backward).", valueName: "version"))
    var from: Int64?

    @Flag(help: "Newest first.")
    var backward = false

    @Option(help: ArgumentHelp("Print at most this many events.", valueName: "count"))
    var limit: Int?

    func validate() throws {
        if let from, from < 0 { throw ValidationError("--from must be a version, 0 or more") }
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            _ = try await EventJSON.printAll(
                store.readStream(stream, from: from, direction: backward ? .backward : .forward, limit: limit))
        }
    }
}
