import ArgumentParser

/// `pgevents subscription`: what can be done to one named subscription.
struct SubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription",
        abstract: "Manage one named subscription (see `pgevents subscriptions` for the list).",
        discussion: """
            EXAMPLES:
              pgevents subscription reset orders-view --to start
            """,
        subcommands: [SubscriptionResetCommand.self])
}
