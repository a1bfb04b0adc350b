import ArgumentParser
import PGEventStore

/// `pgevents migrate`: creates the store's schema or brings it up to date.
struct MigrateCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the store's tables in the schema, or bring them up to date; prints the version.",
        discussion: """
            Safe to run again and from several processes at once (the migrations take an \
            advisory lock). Prints the schema's version before and after.

            With --partition-size N, the events table is then converted (once; opt-in) into \
            one partitioned by ranges of N positions, every event kept: this holds an ACCESS \
            EXCLUSIVE lock on the table and rewrites it, so run it on a new store or when \
            appends can pause. Old partitions can then be moved to files with `pgevents \
            archive` and brought back with `pgevents restore`.

            EXAMPLES:
              pgevents migrate
              pgevents migrate --schema billing
              pgevents migrate --partition-size 10000000
              DATABASE_URL=postgresql://app:secret@db:5432/app pgevents migrate

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Partition the events table by ranges of this many positions (opt-in, once).", valueName: "positions"))
    var partitionSize: Int64?

    @Option(help: ArgumentHelp("With --partition-size: empty partitions kept ready above the one being written.", valueName: "count"))
    var partitionsAhead: Int = 2

    func validate() throws {
        if let partitionSize, partitionSize < 1 { throw ValidationError("--partition-size must be at least 1") }
        if partitionsAhead < 1 || partitionsAhead > 1_000 { throw ValidationError("--partitions-ahead must be 1 to 1000") }
    }

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            let before = try await store.schemaVersion()
            let after = try await store.migrate()
            StandardOutput.shared.write("schema \(global.schema): version \(after) (was \(before))\n")
            guard let partitionSize else { return }
            // Repeatable like migrate itself: the same size again is a no-op, another is refused.
            if let layout = try await store.partitionLayout() {
                guard layout.size == partitionSize else {
                    throw CommandFailure(
                        "the events table of schema \(global.schema) is already partitioned by \(layout.size) positions, not \(partitionSize)")
                }
                StandardOutput.shared.write(Self.describe(layout, schema: global.schema, was: "already"))
                return
            }
            let layout = try await store.partition(size: partitionSize, ahead: partitionsAhead)
            StandardOutput.shared.write(Self.describe(layout, schema: global.schema, was: "now"))
        }
    }

    static func describe(_ layout: PartitionLayout, schema: String, was: String) -> String {
        let archived = layout.partitions.filter(\.isArchived).count
        return "schema \(schema): events \(was) partitioned by \(layout.size) positions "
            + "(\(layout.partitions.count - archived) partitions attached, \(archived) archived, \(layout.ahead) kept ahead)\n"
    }
}
