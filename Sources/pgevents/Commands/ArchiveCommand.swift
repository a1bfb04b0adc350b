import ArgumentParser
import PGEventStore

/// `pgevents archive`: moves old partitions of a partitioned events table into a file.
struct ArchiveCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Move the partitions wholly below a position into a file (binary COPY) and drop them.",
        discussion: """
            Needs a partitioned store (`pgevents migrate --partition-size N`). Each partition \
            whose every position is below --before, and already drawn, is detached (DETACH \
            PARTITION CONCURRENTLY: appends and reads go on), written to FILE (fsynced, then \
            renamed from FILE.partial) and only then dropped. FILE must not exist. Archived \
            events are gone from reads and subscriptions until `pgevents restore FILE`; their \
            ids stay taken (a retry of an archived append is refused); stream versions go on.

            EXAMPLES:
              pgevents archive --before 50000000 --to /backup/events-0-50M.pgevents

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Archive the partitions that lie wholly below this position.", valueName: "position"))
    var before: Int64

    @Option(help: ArgumentHelp("The archive file to write (must not exist).", valueName: "file"))
    var to: String

    func validate() throws {
        if before < 1 { throw ValidationError("--before must be a position (1 or more)") }
        if to.isEmpty { throw ValidationError("--to must name a file") }
    }

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            let summary = try await store.archivePartitions(before: before, to: to)
            if summary.partitions.isEmpty {
                StandardOutput.shared.write("no whole partition below position \(before) is left to archive: nothing written\n")
                return
            }
            StandardOutput.shared.write(
                "archived \(summary.events) events in \(summary.partitions.count) partitions "
                    + "(positions \(summary.partitions[0].lower) to \(summary.partitions.last!.upper - 1)) to \(to)\n")
        }
    }
}
