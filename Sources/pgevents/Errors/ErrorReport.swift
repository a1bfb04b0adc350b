import Foundation
import ArgumentParser
import PGEventStore
import PGWire

/// Turns any error a command throws into one line for stderr and an exit status: never a
/// stack trace, never event data, and for server errors the SQLSTATE and the server's message.
struct ErrorReport: Equatable {
    var message: String
    var exitCode: Int32

    /// The SQLSTATEs that mean the store's tables are not there: undefined_table and
    /// invalid_schema_name.
    private static let missingStore: Set<String> = ["42P01", "3F000"]

    init(_ error: any Error, schema: String? = nil) {
        switch error {
        case let failure as CommandFailure:
            self.init(message: failure.message, exitCode: failure.exitCode)
        case let failure as ValidationError:
            self.init(message: failure.message, exitCode: ExitStatus.usage)
        case let failure as EventStoreError:
            self.init(storeError: failure, schema: schema)
        case let failure as PGError:
            self.init(message: Self.describe(failure, schema: schema), exitCode: ExitStatus.failure)
        default:
            self.init(message: Self.oneLine(String(describing: error)), exitCode: ExitStatus.failure)
        }
    }

    init(message: String, exitCode: Int32) {
        self.message = Self.oneLine(message)
        self.exitCode = exitCode
    }

    private init(storeError error: EventStoreError, schema: String?) {
        if error.code == .versionConflict {
            let stream = error.stream.map { " on stream \($0)" } ?? ""
            let expected = error.expectedVersion?.description ?? "?"
            let actual = error.actualVersion.map(String.init) ?? "no stream"
            self.init(
                message: "version conflict\(stream): expected \(expected), actual \(actual); nothing was written",
                exitCode: ExitStatus.versionConflict)
        } else if let underlying = error.underlying as? PGError, underlying.code == .server {
            self.init(message: "\(error.message): \(Self.describe(underlying, schema: schema))", exitCode: ExitStatus.failure)
        } else {
            self.init(message: error.description, exitCode: ExitStatus.failure)
        }
    }

    /// `SQLSTATE 42P01: relation ... does not exist (DETAIL: ...)`, with a hint when the store
    /// was never migrated; other PGWire errors as `<code>: <message>`.
    static func describe(_ error: PGError, schema: String?) -> String {
        guard error.code == .server else { return "\(error.code): \(error.message)" }
        var text = "server error"
        if let state = error.serverFields[.sqlState] { text += " SQLSTATE \(state)" }
        text += ": \(error.message)"
        if let detail = error.serverFields[.detail] { text += " (DETAIL: \(detail))" }
        if let state = error.serverFields[.sqlState], missingStore.contains(state), let schema {
            text += "; is the store in schema \"\(schema)\" migrated? Run `pgevents migrate`"
        }
        return text
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
