import ArgumentParser
import PGEventStore

/// `pgevents append`: one event from options, or many from a JSON-lines file.
struct AppendCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append events to a stream; prints the stream's new version and the events' positions.",
        discussion: """
            One event from --type and --data (and --metadata, --event-id), or many from --file: \
            JSON lines, one event per line, {"type": ..., "data": ..., "metadata": ..., "id": ...} \
            ("type" and "data" required; other keys, such as those `read` prints, are ignored). \
            All events of one command go in one transaction (a large file as binary COPY): \
            all are written, or none.

            --expected: any (default), no-stream, exists, or the stream's current version N. \
            When it does not hold, nothing is written and pgevents exits with status 3.

            Prints {"stream", "version", "transaction_id", "positions"}: the stream's version \
            after the append, the writing transaction and each event's global position.

            EXAMPLES:
              pgevents append order-1 --expected no-stream \\
                  --type OrderPlaced --data '{"total": 12}'
              pgevents append order-1 --type OrderPaid --data '{}' --expected 1 \\
                  --metadata '{"correlationId": "6f1c1a5e-3a52-4b7a-9d0e-4c1f6c1e2a10"}'
              pgevents append order-2 --file events.jsonl
              pgevents read order-1 | pgevents append order-1 --url "$COPY" --file -

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The stream; its category is the part before the first '-'.")
    var stream: String

    @Option(help: ArgumentHelp("The event's type name.", valueName: "type"))
    var type: String?

    @Option(help: ArgumentHelp("The event's data, JSON.", valueName: "json"))
    var data: String?

    @Option(help: ArgumentHelp("The event's metadata, a JSON object.", valueName: "json"))
    var metadata: String?

    @Option(name: .customLong("event-id"), help: ArgumentHelp("The event's id (default: a new UUIDv7).", valueName: "uuid"))
    var eventID: String?

    @Option(help: ArgumentHelp("What the stream's version must be.", valueName: "any|no-stream|exists|N"))
    var expected = ExpectedVersionArgument(.any)

    @Option(help: ArgumentHelp("Append the events of a JSON-lines file ('-': stdin).", valueName: "file"))
    var file: String?

    func validate() throws {
        if stream.isEmpty { throw ValidationError("the stream name must not be empty") }
        if file != nil {
            if type != nil || data != nil || metadata != nil || eventID != nil {
                throw ValidationError("--file takes the events from the file: leave out --type, --data, --metadata and --event-id")
            }
            return
        }
        guard let type, let data else {
            throw ValidationError("give --type and --data for one event, or --file for many")
        }
        do {
            _ = try EventInput.event(type: type, data: data, metadata: metadata, id: eventID)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let events: [NewEvent]
        if let file {
            events = try EventFile.events(path: file)
        } else {
            events = [try EventInput.event(type: type ?? "", data: data ?? "", metadata: metadata, id: eventID)]
        }
        try await ServerTarget.withStore(global) { store, _ in
            let result = try await store.append(to: stream, expected: expected.value, events)
            var json = JSONWriter()
            json.string("stream", stream)
            json.integer("version", result.versions[stream])
            json.integer("transaction_id", result.transactionID)
            json.integers("positions", result.positions)
            StandardOutput.shared.write(bytes: json.finished() + [0x0A])
        }
    }
}
