import PGEventStore
import PGWire

/// ``StoreStatus`` for people (aligned lines, then the subscriptions' table) and for machines
/// (one JSON object).
struct StatusReport {
    let schema: String
    let server: String
    let status: StoreStatus
    /// The TLS session of the connection that read the status; nil in plaintext.
    var tls: PGConnection.TLSInfo? = nil

    func text() -> String {
        var rows: [(String, String)] = [("server", server)]
        rows.append(("connection", tls.map { "TLS (\($0.protocolVersion), \($0.cipher))" } ?? "not encrypted"))
        if status.schemaVersion == 0 {
            rows.append(("schema", "\(schema): not migrated (run `pgevents migrate`)"))
        } else {
            rows.append(("schema", "\(schema), version \(status.schemaVersion) of \(EventStore.latestSchemaVersion)"))
            rows.append(("head", status.head.map { "\($0) (TXID/POSITION)" } ?? "none (no events)"))
            rows.append(("highest position", status.highestPosition.map(String.init) ?? "none"))
            rows.append(("events", String(status.eventCount)))
            rows.append(("streams", String(status.streamCount)))
        }
        rows.append(("read barrier", "transaction \(status.barrier)"))
        if let holder = status.barrierHolder {
            var text = "pid \(holder.pid), transaction \(holder.transactionID)"
            if let state = holder.state { text += ", \(state)" }
            if let name = holder.applicationName, !name.isEmpty { text += ", application \(name)" }
            if let since = holder.since { text += ", since \(Timestamp.iso8601(since))" }
            rows.append(("barrier holder", text))
        } else {
            rows.append(("barrier holder", "none"))
        }
        if status.schemaVersion > 0 {
            rows.append(("subscriptions", status.subscriptions.isEmpty ? "none" : String(status.subscriptions.count)))
        }
        let width = rows.map(\.0.count).max() ?? 0
        let lines = rows.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 + "\n" }.joined()
        guard !status.subscriptions.isEmpty else { return lines }
        return lines + SubscriptionReport.table(status.subscriptions, indent: "  ")
    }

    func json() -> String {
        var json = JSONWriter()
        json.string("schema", schema)
        json.integer("schema_version", status.schemaVersion)
        json.integer("latest_schema_version", EventStore.latestSchemaVersion)
        json.string("head", status.head?.description)
        json.integer("head_transaction_id", status.head?.transactionID)
        json.integer("head_position", status.head?.position)
        json.integer("highest_position", status.highestPosition)
        json.integer("event_count", status.eventCount)
        json.integer("stream_count", status.streamCount)
        json.integer("barrier", status.barrier)
        if let holder = status.barrierHolder {
            var inner = JSONWriter()
            inner.integer("pid", holder.pid)
            inner.string("since", holder.since.map(Timestamp.iso8601))
            inner.string("application_name", holder.applicationName)
            inner.string("state", holder.state)
            inner.integer("transaction_id", holder.transactionID)
            json.raw("barrier_holder", inner.finished())
        } else {
            json.null("barrier_holder")
        }
        json.raw("subscriptions", SubscriptionReport.jsonArray(status.subscriptions))
        json.string("server", server)
        if let tls {
            var inner = JSONWriter()
            inner.string("version", tls.protocolVersion)
            inner.string("cipher", tls.cipher)
            json.raw("tls", inner.finished())
        } else {
            json.null("tls")
        }
        return String(decoding: json.finished(), as: UTF8.self) + "\n"
    }
}
