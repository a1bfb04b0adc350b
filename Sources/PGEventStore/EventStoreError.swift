/// The one error type thrown by PGEventStore for failures of its own.
///
/// Every failure carries a ``Code`` saying what kind of failure it is, so callers can branch on
/// it (`catch let error as EventStoreError where error.code == .versionConflict`). Errors about a
/// stream also carry the stream name and, for optimistic concurrency failures, the version the
/// caller expected and the version the store found. A failure caused by another error (a
/// `PGError` from the server, a `DecodingError` from a `JSONDecoder`) keeps it in
/// ``underlying``.
///
/// The description never shows event data or metadata, only names and versions.
///
/// What a store call throws, one kind per condition:
/// - `EventStoreError` for the store's own conditions (a version conflict, a closed store, a
///   pool that had no connection in time, an event that does not decode).
/// - PGWire's `PGError`, unchanged, for failures of the connection or the server that the store
///   does not interpret (a lost connection, a timeout, a server error): the same error a
///   `PGConnection` would throw.
/// - `CancellationError` when the calling task is cancelled, as in PGWire.
public struct EventStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case versionConflict
            case duplicateEvent
            case idempotencyViolation
            case invalidArgument
            case unregisteredEventType
            case decoding
            case schemaTooNew
            case migrationFailed
            case streamDeleted
            case notFound
            case acquireTimeout
            case unexpectedResult
            case handlerFailed
            case waitTimeout
            case replayTimeout
            case closed
            case partitioning
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The stream's version is not the one the append expected (optimistic concurrency).
        public static let versionConflict = Code(.versionConflict)
        /// An event with the same id is already stored, with different content.
        public static let duplicateEvent = Code(.duplicateEvent)
        /// An append failed because some of its event ids are already stored, and what is
        /// stored is not this same append: only some of its events are stored, or one is stored
        /// in another stream, with another type, data or metadata, at other versions, or by
        /// another transaction. (A retry whose events are all stored exactly as given is
        /// recognised by their event ids and returns the original result instead.)
        public static let idempotencyViolation = Code(.idempotencyViolation)
        /// An argument is not valid (for example an empty event type or stream name).
        public static let invalidArgument = Code(.invalidArgument)
        /// A Swift value was to be appended as an event, but its type is not registered in the
        /// ``EventTypeRegistry``.
        public static let unregisteredEventType = Code(.unregisteredEventType)
        /// Stored JSON (event data or metadata) could not be decoded into the expected Swift type.
        public static let decoding = Code(.decoding)
        /// The database schema is newer than this version of the library understands.
        public static let schemaTooNew = Code(.schemaTooNew)
        /// A schema migration failed and was rolled back.
        public static let migrationFailed = Code(.migrationFailed)
        /// The stream was deleted; it can no longer be read or appended to.
        public static let streamDeleted = Code(.streamDeleted)
        /// The requested stream, event or subscription does not exist.
        public static let notFound = Code(.notFound)
        /// The store could not get a connection from its pool within the pool's acquire timeout
        /// (every connection stayed busy, or opening one took too long). ``underlying`` keeps
        /// the pool's `PGError` (code `timeout`), which names the server and how many
        /// connections were in use. Nothing was sent to the server: the operation can be retried.
        public static let acquireTimeout = Code(.acquireTimeout)
        /// The server answered with something the store cannot use: fewer results or rows than
        /// it sent statements for, or a value outside the range the store's types hold. The
        /// message names what was wrong. A bug or a schema changed by hand, never the caller's
        /// input.
        public static let unexpectedResult = Code(.unexpectedResult)

        /// A subscription's handler failed on an event every time it was tried, and the
        /// subscription's retry policy says to stop (``SubscriptionRetry/PoisonPolicy/stop``).
        /// ``underlying`` is the handler's last error; ``stream`` the event's stream.
        public static let handlerFailed = Code(.handlerFailed)
        /// An append with `waitFor` was committed, but the named subscriptions did not reach it
        /// within the timeout. The append stays written: do not retry it as if it failed.
        public static let waitTimeout = Code(.waitTimeout)
        /// A read with ``EventStore/Configuration/readYourWrites`` waited that long and the
        /// standby it reads from had still not replayed this store's latest append. Nothing was
        /// read; the appends are committed on the primary.
        public static let replayTimeout = Code(.replayTimeout)
        /// The store was closed (``EventStore/close()``), or the pool it borrows from was: it
        /// takes no more work. PGWire's counterpart is `PGError.Code.closed`.
        public static let closed = Code(.closed)
        /// A partitioning or archival request does not fit the store: it is not partitioned
        /// (or already is), it is not at the latest schema version, or an archive file does
        /// not belong to it (another schema version, a partition that is present). Nothing
        /// was changed.
        public static let partitioning = Code(.partitioning)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A short explanation written by PGEventStore.
    public var message: String
    /// The stream the failure is about, if any.
    public var stream: String?
    /// The version the caller expected. Set for ``Code/versionConflict`` and for
    /// ``Code/notFound`` when a delete expected a version. The description shows it as
    /// ``ExpectedVersion/description`` writes it: `no_stream`, `exists`, `any` or a number.
    public var expectedVersion: ExpectedVersion?
    /// The version the store found. `nil` means the stream does not exist (or, for codes other
    /// than ``Code/versionConflict``, that no version is involved).
    public var actualVersion: Int64?
    /// The error that caused this one, if any.
    public var underlying: (any Error)?

    /// An error of kind `code` with `message`, and the stream, versions and cause it concerns.
    public init(
        _ code: Code,
        _ message: String,
        stream: String? = nil,
        expectedVersion: ExpectedVersion? = nil,
        actualVersion: Int64? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.actualVersion = actualVersion
        self.underlying = underlying
    }

    /// `"<code>: <message>"`, followed by the stream and versions when they are known. For a
    /// version conflict a missing actual version reads "no stream", since that is what it means.
    public var description: String {
        var text = "\(code): \(message)"
        var details: [String] = []
        if let stream { details.append("stream: \(stream)") }
        if let expectedVersion { details.append("expected: \(expectedVersion)") }
        if let actualVersion {
            details.append("actual: \(actualVersion)")
        } else if code == .versionConflict {
            details.append("actual: no stream")
        }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }
}
