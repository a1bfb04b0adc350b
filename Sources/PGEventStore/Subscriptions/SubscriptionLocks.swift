import PGWire

/// The advisory locks that make a subscription run in one place per share.
///
/// Two classes of session-level locks (two-key form, visible in `pg_locks`):
/// - a share lock (`shareClass`, share index): whoever holds it handles that share's streams;
/// - a member lock (`memberClass`, member id): held by every process running the
///   subscription for as long as its connection lives, so the members alive are the granted
///   locks of that class, and a member whose process or connection died is gone at once.
/// A member's id is its backend's pid; members are ordered by when their connection began, so
/// the oldest member comes first and keeps its shares when a standby joins.
struct SubscriptionLocks: Sendable {
    let shareClass: Int32
    let memberClass: Int32

    init(schema: StoreSchema, subscription: String) {
        shareClass = Int32(bitPattern: FNV1a.hash32("pgevents.share\u{0}" + schema.name + "\u{0}" + subscription))
        memberClass = Int32(bitPattern: FNV1a.hash32("pgevents.member\u{0}" + schema.name + "\u{0}" + subscription))
    }

    /// `pg_locks` shows a key as an unsigned oid.
    static func oid(_ key: Int32) -> Int64 { Int64(UInt32(bitPattern: key)) }

    /// The shares a member gets: every share whose index, modulo the number of members, is the
    /// member's place among them. Members beyond the share count get none (they stand by).
    /// `members` in their order (oldest first).
    static func assignment(shareCount: Int, members: [Int32], me: Int32) -> Set<Int32> {
        guard let place = members.firstIndex(of: me) else { return [] }
        return Set((0..<shareCount).filter { $0 % members.count == place }.map { Int32($0) })
    }

    /// Takes the member lock keyed by this connection's backend pid (unique among live
    /// backends) and returns that id.
    func join(on connection: PGConnection) async throws -> Int32 {
        let rows = try await connection.query(PGQuery(
            "SELECT pg_backend_pid(), pg_try_advisory_lock($1, pg_backend_pid())", [memberClass])).collect()
        let row = try ServerData.element(0, of: rows, "rows of the member lock")
        guard try row.decode(Bool.self, at: 1) else {
            throw EventStoreError(.unexpectedResult, "the member lock of this backend is held by another session")
        }
        return try row.decode(Int32.self, at: 0)
    }

    /// The ids of the members alive, oldest connection first.
    func members(on connection: PGConnection) async throws -> [Int32] {
        let rows = try await connection.query(PGQuery("""
            SELECT l.objid::int8 FROM pg_locks AS l LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid = $1::int8::oid
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY a.backend_start, l.objid
            """, [Self.oid(memberClass)])).collect()
        return try rows.map { Int32(truncatingIfNeeded: try $0.decode(Int64.self, at: 0)) }
    }

    /// Tries to lock `shares`; returns those it got.
    func tryLock(_ shares: [Int32], on connection: PGConnection) async throws -> [Int32] {
        guard !shares.isEmpty else { return [] }
        let rows = try await connection.query(PGQuery("""
            SELECT share FROM unnest($2::int4[]) AS share WHERE pg_try_advisory_lock($1, share)
            """, [shareClass, shares])).collect()
        return try rows.map { try $0.decode(Int32.self, at: 0) }
    }

    /// Releases `shares`.
    func unlock(_ shares: [Int32], on connection: PGConnection) async throws {
        guard !shares.isEmpty else { return }
        _ = try await connection.query(PGQuery("SELECT pg_advisory_unlock($1, share) FROM unnest($2::int4[]) AS share", [
            shareClass, shares,
        ])).collect()
    }

    /// Ends the session of this process's previous connection if the server still keeps it
    /// (found by its member lock, so a pid reused by another backend is left alone): after a
    /// network path died silently the server may hold its locks for hours (until its TCP
    /// keepalive gives up), and no member could take its shares meanwhile.
    func endPreviousSession(_ previous: Int32, on connection: PGConnection) async throws {
        _ = try await connection.query(PGQuery("""
            SELECT pg_terminate_backend(l.pid) FROM pg_locks AS l
            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid = $1::int8::oid
              AND l.objid = $2::int8::oid AND l.pid = $2
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [Self.oid(memberClass), previous])).collect()
    }
}
