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
