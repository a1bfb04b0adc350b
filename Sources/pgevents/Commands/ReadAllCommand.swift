import ArgumentParser
import PGEventStore
import PGWire

/// `pgevents read-all`: every stream's events in the global order, as JSON lines.
struct ReadAllCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-all",
        abstract: "Print all events in the global order, one JSON object per line.",
        discussion: """
            The global order is (transaction_id, position): events appear once their transaction \
            and every older one have committed, so a reader that passed a place never finds an \
            event before it later. Lines as in `pgevents read`.

            --from starts after (exclusive) a place: TXID/POSITION, as `status` prints the head \
            and as each event carries it, or a plain position number, looked up in the events \
            table (it must be the position of a stored event; 0 means the start).

            EXAMPLES:
              pgevents read-all
              pgevents read-all --category order --type OrderPlaced --type OrderPaid
              pgevents read-all --from 1042/7 --limit 100
              pgevents read-all --from 7

            See `pgevents --help` for how the server is chosen.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Start after this place: TXID/POSITION or a position.", valueName: "position"))
    var from: PositionArgument?

    @Option(help: ArgumentHelp("Only streams of this category (the name before the first '-'); repeatable.", valueName: "category"))
    var category: [String] = []

    @Option(help: ArgumentHelp("Only events of this type; repeatable.", valueName: "type"))
    var type: [String] = []

    @Option(help: ArgumentHelp("Print at most this many events.", valueName: "count"))
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() async throws {
        try await ServerTarget.withStore(global) { store, target in
            let start = try await resolve(from ?? .place(.start), target: target)
            try await EventJSON.printAll(store.readAll(after: start, categories: category, types: type, limit: limit))
        }
    }

    /// A plain position becomes the (transaction, position) of the event stored there, found
    /// by the events table's primary key.
    private func resolve(_ argument: PositionArgument, target: ServerTarget) async throws -> GlobalPosition {
        switch argument {
        case .place(let place):
            return place
        case .position(0):
            return .start
        case .position(let position):
            let connection = try await PGConnection.connect(target.connection)
            do {
                let sql = "SELECT transaction_id FROM \(SQLName.quoted(global.schema)).events WHERE position = $1"
                let rows = try await connection.query(PGQuery(sql, [position])).collect()
                await connection.close()
                guard let row = rows.first else {
                    throw CommandFailure("no event at position \(position) (give TXID/POSITION to start anywhere)")
                }
                return GlobalPosition(transactionID: try row.decode(PGTransactionID.self, at: 0).rawValue, position: position)
            } catch {
                await connection.close()
                throw error
            }
        }
    }
}
