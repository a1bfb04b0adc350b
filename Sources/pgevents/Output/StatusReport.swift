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
        for standby in status.standbys {
            var text = standby.name.isEmpty ? "(unnamed)" : standby.name
            if let address = standby.address { text += " at \(address)" }
            if let state = standby.state { text += ", \(state)" }
            if let lag = standby.replayLagBytes { text += ", \(lag) bytes behind" }
            if let seconds = standby.replayLagSeconds { text += ", replay lag \(Self.seconds(seconds))" }
            rows.append(("standby", text))
        }
        if let read = status.readServer {
            var text = read.server + (read.isStandby ? ", a standby" : ", not a standby")
            if read.isStandby, let lag = read.replayLagBytes { text += ", \(lag) bytes behind the primary" }
            if let last = read.lastReplayAt { text += ", last replayed commit \(Timestamp.iso8601(last))" }
            rows.append(("reads from", text))
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
        json.raw("standbys", JSONWriter.array(status.standbys.map(Self.json)))
        if let read = status.readServer {
            var inner = JSONWriter()
            inner.string("server", read.server)
            inner.boolean("standby", read.isStandby)
            inner.integer("replay_lag_bytes", read.replayLagBytes)
            inner.string("last_replay_at", read.lastReplayAt.map(Timestamp.iso8601))
            json.raw("read_server", inner.finished())
        } else {
            json.null("read_server")
        }
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

    private static func json(_ standby: StandbyStatus) -> [UInt8] {
        var json = JSONWriter()
        json.string("name", standby.name)
        json.string("address", standby.address)
        json.string("state", standby.state)
        json.integer("replay_lag_bytes", standby.replayLagBytes)
        if let seconds = standby.replayLagSeconds { json.number("replay_lag_seconds", seconds) } else { json.null("replay_lag_seconds") }
        return json.finished()
    }

    /// Milliseconds, whole: `12 ms`.
    private static func seconds(_ value: Double) -> String {
        "\(Int((value * 1_000).rounded())) ms"
    }
}
