import ArgumentParser
import PGEventStore

/// `pgevents subscription reset`: moves a named subscription's checkpoint, to replay events
/// into a rebuilt projection or to skip what it cannot handle.
struct SubscriptionResetCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Move a subscription's checkpoint: it handles again (or skips) from there.",
        discussion: """
            Every share's checkpoint moves to --to: start (the whole log is handled again; \
            clear the projection it feeds first), end (skip every event readers can see now), \
            or after a place: TXID/POSITION, or a plain position (that of a stored event). A \
            running runner notices within its poll interval and goes on from there; nothing \
            has to be restarted. Prints the checkpoint before and after.

            EXAMPLES:
              pgevents subscription reset orders-view --to start
              pgevents subscription reset mailer --to end
              pgevents subscription reset orders-view --to 1042/7

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The subscription's name, as `pgevents subscriptions` lists it.")
    var name: String

    @Option(help: ArgumentHelp("The new place: start, end, TXID/POSITION or a position.", valueName: "place"))
    var to: SubscriptionStartArgument

    func validate() throws {
        if name.isEmpty { throw ValidationError("the subscription name must not be empty") }
    }

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            guard let before = try await store.subscriptions().first(where: { $0.name == name }) else {
                throw CommandFailure("no subscription named \"\(name)\" in schema \(global.schema) (`pgevents subscriptions` lists them)")
            }
            do {
                try await store.resetSubscription(name, to: to.value)
            } catch let error as EventStoreError where error.code == .notFound {
                // The subscription was there a moment ago: what is missing is the event at --to,
                // or the subscription was dropped in between.
                throw CommandFailure("\(error.message) (give start, end or TXID/POSITION to reset anywhere)")
            }
            let after = try await store.subscriptions().first { $0.name == name }
            let place = after.map { $0.checkpoint.description } ?? "?"
            StandardOutput.shared.write(
                "subscription \(name): checkpoint reset to \(place) (was \(before.checkpoint)); "
                    + "it handles the events after it next\n")
        }
    }
}
