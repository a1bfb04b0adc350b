import Synchronization

/// The data format of a COPY.
public enum PGCopyFormat: String, Sendable, CaseIterable {
    /// PostgreSQL's binary format: rows of binary values (``PGEncodable``), the fastest.
    case binary
    /// Tab-separated text, `\N` for NULL.
    case text
    /// Comma-separated values.
    case csv
}

/// Writes the data of a `COPY ... FROM STDIN` while it runs.
///
/// Rows are encoded into one buffer and sent in large CopyData messages; while sending, PGWire
/// keeps reading, so an error the server reports mid-copy (a unique violation, bad data) stops
/// the copy at the next flush instead of after the last row.
public final class PGCopyWriter {
    /// The format this COPY was started with.
    public let format: PGCopyFormat
    let connection: PGConnection
    private var rows = PGCopyRowEncoder()
    private var raw: [UInt8] = []
    /// An error the server sent during the copy; the copy is over once it is set.
    private(set) var serverError: PGError?
    /// Send once this many bytes are buffered.
    static let flushThreshold = 256 * 1024

    init(connection: PGConnection, format: PGCopyFormat) {
        self.connection = connection
        self.format = format
        if format == .binary { rows.writeHeader() }
    }

    /// The rows written so far through the typed methods.
    public var rowCount: Int { rows.rowCount }

    /// Writes one row of binary values (binary format only), encoded straight into the buffer.
    public func writeRow<each Value: PGEncodable>(_ values: repeat each Value) async throws {
        try requireBinary()
        try rows.writeRow(repeat each values)
        if rows.byteCount >= Self.flushThreshold { try await flush() }
    }

    /// Writes one row of values of any encodable types (binary format only).
    public func writeRow(_ values: [any PGEncodable]) async throws {
        try requireBinary()
        try rows.writeRow(values)
        if rows.byteCount >= Self.flushThreshold { try await flush() }
    }

    /// Writes one row of pre-encoded binary fields, `nil` for NULL (binary format only).
    public func writeRow(encodedFields: [[UInt8]?]) async throws {
        try requireBinary()
        try rows.writeRow(encodedFields: encodedFields)
        if rows.byteCount >= Self.flushThreshold { try await flush() }
    }

    /// Writes data as it is: text or CSV lines you have already (text and CSV formats).
    public func write(_ data: some Collection<UInt8>) async throws {
        guard format != .binary else {
            throw PGError(.invalidArgument, "write(_:) sends text or CSV data; a binary COPY takes writeRow")
        }
        raw.append(contentsOf: data)
        if raw.count >= Self.flushThreshold { try await flush() }
    }

    /// Writes a string of text or CSV data as UTF-8.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    private func requireBinary() throws {
        guard format == .binary else {
            throw PGError(.invalidArgument, "writeRow encodes binary rows; a \(format.rawValue) COPY takes write(_:)")
        }
        if let serverError { throw serverError }
    }

    /// Sends what is buffered as CopyData, reading meanwhile; stops at a server error.
    func flush(final: Bool = false) async throws {
        if let serverError { throw serverError }
        let io = connection.io
        io.encoder.reset()
        if format == .binary {
            if final { rows.writeTrailer() }
            if rows.byteCount > 0 { io.encoder.copyData(rows.buffer) }
            rows.removeAllBytes()
        } else if !raw.isEmpty {
            io.encoder.copyData(raw)
            raw.removeAll(keepingCapacity: true)
        }
        if io.encoder.buffer.isEmpty { return }
        try await io.flushWhileReading()
        try checkForServerError()
    }

    /// In copy-in mode the server only speaks to report an error (or a notice): look at what
    /// arrived while we wrote, without waiting.
    private func checkForServerError() throws {
        while let message = try connection.io.decoder.next() {
            switch message {
            case .errorResponse(let fields):
                serverError = connection.serverError(fields)
                throw serverError!
            case .noticeResponse, .parameterStatus, .notificationResponse:
                try connection.handleAsynchronous(message)
            default:
                throw PGError(.protocolViolation, "unexpected \(message.kindName) during COPY FROM STDIN")
            }
        }
    }
}

extension PGConnection {
    /// Copies rows into `table` with `COPY ... FROM STDIN`, as fast as the protocol allows:
    ///
    /// ```swift
    /// let count = try await connection.copyIn(table: "events", columns: ["id", "payload"]) { writer in
    ///     for event in events { try await writer.writeRow(event.id, PGRawJSON(bytes: event.payload)) }
    /// }
    /// ```
    ///
    /// Table, schema and column names are quoted as identifiers. Returns the number of rows the
    /// server copied. If the server reports an error (say a unique violation), it is thrown as
    /// the server's error and nothing is copied; if `body` throws, PGWire sends CopyFail, the
    /// server rolls the COPY back, and `body`'s error is rethrown. The connection stays usable
    /// in both cases.
    public func copyIn(
        table: String, schema: String? = nil, columns: [String] = [], format: PGCopyFormat = .binary,
        _ body: (PGCopyWriter) async throws -> Void
    ) async throws -> Int {
        var target = schema.map { PGQuery.quoteIdentifier($0) + "." } ?? ""
        target += PGQuery.quoteIdentifier(table)
        if !columns.isEmpty { target += " (" + columns.map(PGQuery.quoteIdentifier).joined(separator: ", ") + ")" }
        return try await copyIn(sql: "COPY \(target) FROM STDIN (FORMAT \(format.rawValue))", format: format, body)
    }

    /// Runs a `COPY ... FROM STDIN` statement you wrote (for options such as `HEADER` or
    /// `DELIMITER`), with `format` saying what the writer sends.
    public func copyIn(
        sql: String, format: PGCopyFormat, _ body: (PGCopyWriter) async throws -> Void
    ) async throws -> Int {
        // The exclusive exchange ends in step with the server whenever it returns; an error of
        // `body` is carried out of it so that it does not count as a broken connection.
        let outcome: Result<Int, any Error> = try await exclusive { io in
            io.encoder.reset()
            try io.encoder.query(sql)
            try await io.flush()
            try await awaitCopyIn(io, sql: sql)
            let writer = PGCopyWriter(connection: self, format: format)
            do {
                try await body(writer)
                try await writer.flush(final: true)
            } catch {
                if io.socket.isShutDown { throw error }
                if writer.serverError == nil {
                    // Our side gave up (body threw, a value did not encode): the server rolls
                    // the COPY back when told so.
                    io.encoder.reset()
                    try io.encoder.copyFail("COPY aborted by the client")
                    try await io.flushWhileReading()
                }
                // Reads the server's ErrorResponse (its own, or its answer to CopyFail) and
                // ReadyForQuery; the original error is what the caller gets.
                _ = try? await RowStream.readToEnd(self)
                if io.socket.isShutDown { throw error }
                return .failure(writer.serverError ?? error)
            }
            io.encoder.reset()
            io.encoder.copyDone()
            try await io.flushWhileReading()
            let tag = try await RowStream.readToEnd(self)
            return .success(PGCommandResult(commandTag: tag ?? "").affectedRows ?? 0)
        }
        return try outcome.get()
    }

    /// Reads the answer to a COPY FROM STDIN statement up to CopyInResponse.
    private func awaitCopyIn(_ io: ConnectionIO, sql: String) async throws {
        while true {
            let message = try await receive(io)
            switch message {
            case .copyInResponse:
                return
            case .errorResponse(let fields):
                // A bad table or column: the server goes straight to ReadyForQuery.
                _ = try? await RowStream.readToEnd(self)
                throw serverError(fields)
            case .readyForQuery(let status):
                ready(status)
                throw PGError(.invalidArgument, "the statement did not start a COPY FROM STDIN")
            case .commandComplete, .rowDescription, .dataRow, .emptyQueryResponse:
                continue
            default:
                throw PGError(.protocolViolation, "unexpected \(message.kindName) instead of CopyInResponse")
            }
        }
    }
}
