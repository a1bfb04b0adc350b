import ArgumentParser
import PGEventStore
import PGWire

/// `pgevents status`: the store at a glance.
struct StatusCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the schema version, head, event and stream counts, the read barrier and subscriptions.",
        discussion: """
            The head is the last event readers can see, as TXID/POSITION (what read-all --from \
            takes). Readers see only transactions older than the oldest one still running: that \
            transaction's backend is shown as the barrier holder; while it runs, newer events \
            wait. Then the named subscriptions with their checkpoints, lag and runners, as \
            `pgevents subscriptions` lists them. With --json, one object: schema, \
            schema_version, latest_schema_version, head (or null), head_transaction_id, \
            head_position, highest_position, event_count, stream_count, barrier, barrier_holder \
            (null or {pid, since, application_name, state, transaction_id}), subscriptions (an array, as `pgevents subscriptions --json` \
            prints it), server, tls (null, or {version, cipher}).

            EXAMPLES:
              pgevents status
              pgevents status --json | jq .event_count

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        try await ServerTarget.withStore(global) { store, target in
            var report = StatusReport(schema: global.schema, server: target.label, status: try await store.status())
            report.tls = try await store.pool.withConnection { $0.tlsInfo }
            StandardOutput.shared.write(json ? report.json() : report.text())
        }
    }
}
