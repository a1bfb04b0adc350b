import ArgumentParser
import PGEventStore

/// `pgevents subscriptions`: the named subscriptions, where they stand and who runs them.
struct SubscriptionsCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscriptions",
        abstract: "List the named subscriptions with their checkpoints, lag and runners.",
        discussion: """
            One row per subscription (created by the library's store.subscribe(name)): its \
            partitions (shares), its checkpoint as TXID/POSITION (the lowest of its shares': it \
            has handled every event up to there), the events it has yet to handle that readers \
            can already see, how long the oldest of those has waited (seconds), and the \
            processes holding its shares (pid and application_name; none when nothing runs it, \
            and it falls behind). Move a checkpoint with `pgevents subscription reset`.

            With --json, one array of objects: name, partitions, filter {categories, streams, \
            types}, checkpoint, checkpoint_transaction_id, checkpoint_position, lag_events, \
            lag_seconds, runner_pids, shares [{index, checkpoint, updated_at, events_handled, \
            lag_events, lag_seconds, runner_pid, runner_application, runner_address}].

            EXAMPLES:
              pgevents subscriptions
              pgevents subscriptions --json | jq '.[] | select(.lag_events > 1000) | .name'

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON array.")
    var json = false

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            let subscriptions = try await store.subscriptions()
            if json {
                StandardOutput.shared.write(bytes: SubscriptionReport.jsonArray(subscriptions) + [0x0A])
            } else if subscriptions.isEmpty {
                StandardOutput.shared.write("no subscriptions in schema \(global.schema)\n")
            } else {
                StandardOutput.shared.write(SubscriptionReport.table(subscriptions))
            }
        }
    }
}
