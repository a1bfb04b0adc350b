import ArgumentParser
import PGEventStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `pgevents tail`: follows the store, printing each event as it commits.
struct TailCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow the store: print each event as it commits, one JSON object per line.",
        discussion: """
            Prints new events (or, with --from, those after a place first) in the global order, \
            lines as in `pgevents read`, each written out at once so a pipe sees it as it comes. \
            Runs until interrupted: Ctrl-C (SIGINT) or SIGTERM stops it cleanly with status 0 \
            (a second one exits at once), as does --limit, or a reader of the pipe that went away.

            An unnamed follower: it keeps no checkpoint and takes no lock, so any number can run \
            (for a named subscription see `pgevents subscriptions`). A notification from each \
            append wakes it; it also looks every second, so nothing is missed. Filters are \
            repeatable; an event must pass every kind given. On the embedded server, tail holds \
            it while it runs (other pgevents commands on that folder wait): to watch appends from \
            other commands, use a server they share (--url, DATABASE_URL).

            --from: end (default: only events committed from now on), start (every event), or \
            after a place: TXID/POSITION, or a plain position (that of a stored event).

            EXAMPLES:
              pgevents tail
              pgevents tail --category order --type OrderPlaced --type OrderPaid
              pgevents tail --stream order-1 --from start
              pgevents tail --from 1042/7 --limit 100 | jq .type

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only streams of this category (the name before the first '-'); repeatable.", valueName: "category"))
    var category: [String] = []

    @Option(help: ArgumentHelp("Only this stream; repeatable.", valueName: "stream"))
    var stream: [String] = []

    @Option(help: ArgumentHelp("Only events of this type; repeatable.", valueName: "type"))
    var type: [String] = []

    @Option(help: ArgumentHelp("Start after this place: start, end, TXID/POSITION or a position.", valueName: "place"))
    var from = SubscriptionStartArgument.end

    @Option(help: ArgumentHelp("Exit after printing this many events.", valueName: "count"))
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() async throws {
        try await ServerTarget.withStore(global) { store, _ in
            let filter = SubscriptionFilter(categories: category, streams: stream, types: type)
            let subscription = try store.follow(filter: filter, options: SubscriptionOptions(start: from.value))
            let interrupts = Interrupts { subscription.stop() }
            defer { interrupts.restore() }
            // A closed pipe then fails the write (EPIPE) instead of killing the process, which
            // would leave an embedded server to its watchdog.
            signal(SIGPIPE, SIG_IGN)
            defer { signal(SIGPIPE, SIG_DFL) }
            var printed = 0
            for try await event in subscription {
                StandardOutput.shared.write(bytes: try EventJSON.line(event))
                printed += 1
                // After the last event or when no one reads any more, the loop ends with the
                // next call, which sees the stop.
                if !StandardOutput.shared.flush() || printed == limit { subscription.stop() }
            }
        }
    }
}
