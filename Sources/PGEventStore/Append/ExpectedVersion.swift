/// What an append expects of a stream's version; when it does not hold, nothing is written and
/// the append throws ``EventStoreError/Code/versionConflict``.
///
/// Versions are 1-based: a stream's version is the version of its last event, and a stream
/// that was never written has none.
@nonexhaustive
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream has no events yet (or was soft-deleted).
    case noStream
    /// The stream has events and is not deleted.
    case streamExists
    /// The stream's last event has exactly this version (0 means the same as ``noStream`` for
    /// a stream never written).
    case exact(Int64)

    /// The form used in errors and in the server's conflict detail: `any`, `no_stream`,
    /// `exists` or the number.
    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no_stream"
        case .streamExists: "exists"
        case .exact(let version): String(version)
        }
    }

    /// The expectation that ``description`` writes as `text`: `any`, `no_stream`, `exists` or a
    /// version number; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "any": self = .any
        case "no_stream": self = .noStream
        case "exists": self = .streamExists
        default:
            guard let version = Int64(text), version >= 0 else { return nil }
            self = .exact(version)
        }
    }

    /// The expectation's kind as the append statement takes it.
    var kind: Int32 {
        switch self {
        case .any: 0
        case .noStream: 1
        case .streamExists: 2
        case .exact: 3
        }
    }

    /// The exact version, or 0 for the other kinds.
    var exactVersion: Int64 {
        if case .exact(let version) = self { return version }
        return 0
    }
}
