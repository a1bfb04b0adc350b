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

            EXAMPLES:
              pgevents migrate
              pgevents migrate --schema billing
              DATABASE_URL=postgresql://app:secret@db:5432/app pgevents migrate

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            let before = try await store.schemaVersion()
            let after = try await store.migrate()
            StandardOutput.shared.write("schema \(global.schema): version \(after) (was \(before))\n")
        }
    }
}
