import Foundation
import PGEventStore
import PGWire
import Testing

extension CLI {
    /// The library's store on the suite's server, in `schema`: what another process (an
    /// application running subscriptions) does next to pgevents.
    static func store(_ schema: String) throws -> EventStore {
        let connection = try PGConnection.Configuration(connectionString: try url(), environment: [:])
        return try EventStore(EventStore.Configuration(connection: connection, schema: schema))
    }

    /// `count` events of `type`, data `{"n": i}`.
    static func events(_ count: Int, type: String = "Counted") throws -> [NewEvent] {
        try (0..<count).map { try NewEvent(type: type, data: PGRawJSON(#"{"n": \#($0)}"#)) }
    }

    /// Runs `body`, failing when it takes longer than `limit` (it is cancelled then).
    static func bounded<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw CommandTimedOut(limit: limit)
            }
            return value
        }
    }

    /// Polls `condition` every 20 ms until it holds; throws after `limit`.
    static func waitUntil(_ limit: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw CommandTimedOut(limit: limit) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct CommandTimedOut: Error, CustomStringConvertible {
        let limit: Duration
        var description: String { "not done within \(limit)" }
    }
}
