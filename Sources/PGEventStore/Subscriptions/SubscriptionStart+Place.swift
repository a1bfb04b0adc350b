import PGWire

extension SubscriptionStart {
    /// The place this start names, with `.afterPosition` looked up in the events; nil for
    /// `.end`, which the statement that uses it resolves as the read barrier of its own moment.
    /// - Throws: ``EventStoreError/Code/notFound`` when no event has the position.
    func place(in schema: StoreSchema, on connection: PGConnection) async throws -> GlobalPosition? {
        switch self {
        case .start: return .start
        case .after(let position): return position
        case .end: return nil
        case .afterPosition(let position):
            let rows = try await connection.query(
                PGQuery("SELECT transaction_id FROM \(schema.table("events")) WHERE position = $1", [position])).collect()
            guard let row = rows.first else { throw EventStoreError(.notFound, "no event at position \(position)") }
            return GlobalPosition(transactionID: try row.decode(PGTransactionID.self, at: 0).rawValue, position: position)
        }
    }
}
