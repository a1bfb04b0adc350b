import PGWire

/// The PostgreSQL schema a store lives in: several stores can share a database, one per schema.
struct StoreSchema: Sendable, Equatable {
    /// The schema name as given.
    let name: String
    /// The name quoted as an identifier, for the SQL the store sends.
    let quoted: String

    init(_ name: String) throws(EventStoreError) {
        // PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1): a longer name would
        // silently become another schema's name.
        guard !name.isEmpty, name.utf8.count <= 63, !name.utf8.contains(0) else {
            throw EventStoreError(.invalidArgument, "schema name must be 1 to 63 bytes without NUL, got \(name.utf8.count) bytes")
        }
        self.name = name
        self.quoted = PGQuery.quoteIdentifier(name)
    }

    /// `"schema".table`.
    func table(_ table: String) -> String { quoted + "." + table }

    /// The key of the advisory lock migrations hold: a fixed class ('pgev') and a hash of the
    /// schema name, so stores in different schemas migrate independently.
    var migrationLockKey: (Int32, Int32) { (0x7067_6576, Int32(bitPattern: nameHash)) }

    /// The channel each appending transaction notifies, with the new head as its payload:
    /// `pgevents.<schema>`, or a hash of the schema name when that would pass PostgreSQL's
    /// 63-byte limit for channel names.
    var notificationChannel: String {
        let channel = "pgevents." + name
        if channel.utf8.count <= 63 { return channel }
        return "pgevents.#" + String(nameHash, radix: 16)
    }

    private var nameHash: UInt32 { FNV1a.hash32(name) }

    /// The class (first key) of the advisory locks appends take per stream (the second key is
    /// the stream name's `hashtext`).
    var streamLockClass: Int32 { Int32(bitPattern: FNV1a.hash32("pgevents.stream\u{0}" + name)) }

    /// The channel subscriptions notify when they save a checkpoint (its payload: the
    /// subscription's name), which ``EventStore/append(_:waitFor:timeout:)`` waits on.
    var checkpointChannel: String {
        let channel = "pgevents.checkpoints." + name
        if channel.utf8.count <= 63 { return channel }
        return "pgevents.checkpoints.#" + String(nameHash, radix: 16)
    }
}
