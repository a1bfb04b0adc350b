import Logging
import Synchronization

extension PGConnection {
    /// Whether this session is of the kind `wanted`, as libpq's `target_session_attrs` checks it.
    ///
    /// PostgreSQL 14 and later report `in_hot_standby` and `default_transaction_read_only` in
    /// ParameterStatus, so no query is needed; older servers are asked.
    func matches(_ wanted: Configuration.TargetSessionAttributes) async throws -> Bool {
        switch wanted {
        case .any:
            return true
        case .readWrite:
            return try await !isReadOnly()
        case .readOnly:
            return try await isReadOnly()
        case .primary, .standby, .preferStandby:
            let standby = try await isHotStandby()
            return wanted == .primary ? !standby : standby
        }
    }

    /// Whether this session still is of the kind `wanted`, judged only from what the server
    /// reported (no query): false once PostgreSQL 14 or later has said that the server was
    /// promoted, demoted or made read-only since the connection was opened, so that a pool can
    /// retire it after a failover. A server that reports nothing (older than 14) counts as
    /// unchanged. `prefer-standby` and `any` accept every server, so they never retire one.
    public func stillMatches(_ wanted: Configuration.TargetSessionAttributes) -> Bool {
        let standby = parameter("in_hot_standby").map { $0 == "on" }
        let readOnlyDefault = parameter("default_transaction_read_only").map { $0 == "on" }
        switch wanted {
        case .any, .preferStandby:
            return true
        case .primary:
            return standby != true
        case .standby:
            return standby != false
        case .readWrite:
            return standby != true && readOnlyDefault != true
        case .readOnly:
            return !(standby == false && readOnlyDefault == false)
        }
    }

    private func isHotStandby() async throws -> Bool {
        if let reported = parameter("in_hot_standby") { return reported == "on" }
        let rows = try await simpleQuery("SELECT pg_catalog.pg_is_in_recovery()")
        return try Self.firstValue(of: rows) == "t"
    }

    private func isReadOnly() async throws -> Bool {
        if let standby = parameter("in_hot_standby"), let readOnly = parameter("default_transaction_read_only") {
            return standby == "on" || readOnly == "on"
        }
        let rows = try await simpleQuery("SHOW transaction_read_only")
        return try Self.firstValue(of: rows) == "on"
    }

    /// The one value a one-column, one-row answer carries; any other shape is the server's
    /// fault and an error, never an index out of range.
    static func firstValue(of results: [SimpleQueryResult]) throws -> String? {
        guard let row = results.first?.rows.first, row.count == 1 else {
            throw PGError(.protocolViolation, "the server's answer to a session check had no single value")
        }
        return row.text(at: 0)
    }
}
