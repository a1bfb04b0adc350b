import PGEventStore

/// Named subscriptions for people (a table) and for machines (one JSON object each), as
/// `pgevents subscriptions` and `pgevents status` print them.
enum SubscriptionReport {
    /// One row per subscription: its lowest checkpoint, its lag over all shares, and who runs it.
    static func table(_ subscriptions: [SubscriptionInfo], indent: String = "") -> String {
        var table = TextTable([
            ("NAME", .left), ("PARTITIONS", .right), ("CHECKPOINT", .right), ("LAG EVENTS", .right),
            ("LAG SECONDS", .right), ("RUNNERS", .left),
        ])
        for info in subscriptions {
            table.rows.append([
                info.name, String(info.partitions), info.checkpoint.description, String(info.lagEvents),
                JSONWriter.decimal(info.lagSeconds, decimals: 1), runners(info),
            ])
        }
        return table.text(indent: indent)
    }

    /// `pid 4242 (orders-worker)`, comma-separated, `none` when no process runs it; with
    /// several shares, how many of them are held, since unheld shares fall behind.
    static func runners(_ info: SubscriptionInfo) -> String {
        let processes = info.runnerPIDs.map { pid in
            let application = info.shares.first { $0.runnerPID == pid }?.runnerApplication ?? ""
            return application.isEmpty ? "pid \(pid)" : "pid \(pid) (\(application))"
        }
        var text = processes.isEmpty ? "none" : processes.joined(separator: ", ")
        if info.partitions > 1 {
            text += "; \(info.shares.filter { $0.runnerPID != nil }.count) of \(info.partitions) shares held"
        }
        return text
    }

    /// `{"name", "partitions", "filter": {"categories", "streams", "types"}, "checkpoint"
    /// (TXID/POSITION, the lowest of the shares), "checkpoint_transaction_id",
    /// "checkpoint_position", "lag_events", "lag_seconds", "runner_pids", "shares": [{"index",
    /// "checkpoint", "updated_at", "events_handled", "lag_events", "lag_seconds", "runner_pid",
    /// "runner_application", "runner_address"}]}`.
    static func json(_ info: SubscriptionInfo) -> [UInt8] {
        var json = JSONWriter()
        json.string("name", info.name)
        json.integer("partitions", info.partitions)
        var filter = JSONWriter()
        filter.strings("categories", info.filter.categories)
        filter.strings("streams", info.filter.streams)
        filter.strings("types", info.filter.types)
        json.raw("filter", filter.finished())
        json.string("checkpoint", info.checkpoint.description)
        json.integer("checkpoint_transaction_id", info.checkpoint.transactionID)
        json.integer("checkpoint_position", info.checkpoint.position)
        json.integer("lag_events", info.lagEvents)
        json.number("lag_seconds", info.lagSeconds)
        json.integers("runner_pids", info.runnerPIDs.map(Int64.init))
        json.raw("shares", JSONWriter.array(info.shares.map(share)))
        return json.finished()
    }

    private static func share(_ share: SubscriptionInfo.Share) -> [UInt8] {
        var json = JSONWriter()
        json.integer("index", share.index)
        json.string("checkpoint", share.checkpoint.description)
        json.string("updated_at", Timestamp.iso8601(share.updatedAt))
        json.integer("events_handled", share.eventsHandled)
        json.integer("lag_events", share.lagEvents)
        json.number("lag_seconds", share.lagSeconds)
        json.integer("runner_pid", share.runnerPID)
        json.string("runner_application", share.runnerApplication)
        json.string("runner_address", share.runnerAddress)
        return json.finished()
    }

    /// Every subscription's object in a JSON array.
    static func jsonArray(_ subscriptions: [SubscriptionInfo]) -> [UInt8] {
        JSONWriter.array(subscriptions.map(json))
    }
}
