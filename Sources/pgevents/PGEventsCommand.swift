import ArgumentParser

/// `pgevents`: the event store from the shell.
struct PGEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgevents",
        abstract: "Append, read, follow and inspect a PGEventStore event store in PostgreSQL, and benchmark it.",
        discussion: """
            EXAMPLES:
              pgevents migrate
              pgevents append order-1 --type OrderPlaced --data '{"total": 12}'
              pgevents read order-1
              pgevents read-all --from 0 --category order
              pgevents tail --category order
              pgevents subscriptions
              pgevents subscription reset orders-view --to start
              pgevents status --json
              pgevents bench --events 100000
              pgevents status --url postgresql://app:secret@localhost:5432/app

            EXIT STATUS: 0 success, 1 error, 2 usage error, 3 version conflict (nothing written). \
            Errors are one line on stderr; server errors show their SQLSTATE.

            Every command takes --url, --schema (default: pgevents) and --data-dir.

            \(GlobalOptions.connectionHelp)
            """,
        version: "0.1.0",
        subcommands: [
            MigrateCommand.self, AppendCommand.self, ReadCommand.self, ReadAllCommand.self, TailCommand.self,
            SubscriptionsCommand.self, SubscriptionCommand.self, StatusCommand.self, BenchCommand.self,
            ArchiveCommand.self, RestoreCommand.self,
        ]
    )
}
