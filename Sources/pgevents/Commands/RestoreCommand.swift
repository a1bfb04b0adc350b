import ArgumentParser
import PGEventStore

/// `pgevents restore`: brings archived partitions back from a file `pgevents archive` wrote.
struct RestoreCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring back the partitions of an archive file, with the same rows.",
        discussion: """
            The whole file is checked first (format, end marker, schema version, and that each \
            of its partitions is archived in this store): a file that does not fit changes \
            nothing. Each partition is then recreated, filled and attached in a transaction of \
            its own (ATTACH PARTITION: appends and reads go on).

            EXAMPLES:
              pgevents restore /backup/events-0-50M.pgevents

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The archive file.", valueName: "file"))
    var file: String

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            let summary = try await store.restorePartitions(from: file)
            StandardOutput.shared.write("restored \(summary.events) events in \(summary.partitions.count) partitions from \(file)\n")
        }
    }
}
