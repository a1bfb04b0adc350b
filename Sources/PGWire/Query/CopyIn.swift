import Synchronization

/// The data format of a COPY.
@nonexhaustive
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
    /// What the server may say while the copy runs and after it ends.
    var machine: CopyInMachine
    /// Send once this many bytes are buffered (see ``CopyInFraming``; benchmarks compare
    /// framings with it).
    @_spi(Benchmarks) public var flushThreshold = CopyInFraming.defaultFlushThreshold

    init(connection: PGConnection, format: PGCopyFormat, machine: CopyInMachine) {
        self.connection = connection
        self.format = format
        self.machine = machine
        if format == .binary { rows.writeHeader() }
    }

    /// The rows written so far through the typed methods.
    public var rowCount: Int { rows.rowCount }

    /// Writes one row of binary values (binary format only), encoded straight into the buffer.
    public func writeRow<each Value: PGEncodable>(_ values: repeat each Value) async throws {
        try requireBinary()
        try rows.writeRow(repeat each values)
        if rows.byteCount >= flushThreshold { try await flush() }
    }

    /// Writes one row of values of any encodable types (binary format only).
    public func writeRow(_ values: [any PGEncodable]) async throws {
        try requireBinary()
        try rows.writeRow(values)
        if rows.byteCount >= flushThreshold { try await flush() }
    }

    /// Writes one row of pre-encoded binary fields, `nil` for NULL (binary format only).
    public func writeRow(encodedFields: [[UInt8]?]) async throws {
        try requireBinary()
        try rows.writeRow(encodedFields: encodedFields)
        if rows.byteCount >= flushThreshold { try await flush() }
    }

    /// Writes data as it is: text or CSV lines you have already (text and CSV formats).
    public func write(_ data: some Collection<UInt8>) async throws {
        guard format != .binary else {
            throw PGError(.invalidArgument, "write(_:) sends text or CSV data; a binary COPY takes writeRow")
        }
        raw.append(contentsOf: data)
        if raw.count >= flushThreshold { try await flush() }
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

    /// Sends what is buffered as CopyData, reading meanwhile; stops at a server error. The
    /// `final` flush ends the data (the binary trailer) and sends CopyDone in the same write.
    func flush(final: Bool = false) async throws {
        if let serverError { throw serverError }
        let io = connection.io
        io.encoder.reset()
        if format == .binary {
            if final { rows.writeTrailer() }
            CopyInFraming.append(rows.buffer, final: final, to: &io.encoder)
            rows.removeAllBytes()
        } else {
            CopyInFraming.append(raw, final: final, to: &io.encoder)
            raw.removeAll(keepingCapacity: true)
        }
        if io.encoder.buffer.isEmpty { return }
        // After CopyDone the command's end may come at any moment: readEnd() reads it.
        if final { machine.copyEnded() }
        try await io.flushWhileReading()
        if !final { try checkForServerError() }
    }

    /// In copy-in mode the server only speaks to report an error (or a notice): look at what
    /// arrived while we wrote, without waiting.
    private func checkForServerError() throws {
        while let message = try connection.nextBuffered(connection.io) {
            _ = try machine.receive(message)
            if let fields = machine.serverError {
                let error = connection.serverError(fields)
                serverError = error
                throw error
            }
        }
    }

    /// Reads the end of the copy (after CopyDone or CopyFail) up to ReadyForQuery; returns the
    /// command tag, or throws the server's error.
    func readEnd() async throws -> String? {
        machine.copyEnded()
        while true {
            switch try machine.receive(try await connection.receive(connection.io)) {
            case .read, .startCopy:
                continue
            case .finished(let tag, let end):
                try connection.finish(end)
                return tag
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
            let writer = PGCopyWriter(connection: self, format: format, machine: try await awaitCopyIn(io))
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
                do {
                    _ = try await writer.readEnd()
                } catch let answer as PGError where answer.code == .server || answer.sqlState != nil {
                    // The server's expected answer to CopyFail, or its own error again.
                } catch is CancellationError {
                    // The server's answer to the CancelRequest of a cancelled task.
                }
                if io.socket.isShutDown { throw error }
                return .failure(writer.serverError?.thrownForm ?? error)
            }
            // The final flush sent CopyDone.
            let tag = try await writer.readEnd()
            return .success(PGCommandResult(commandTag: tag ?? "").affectedRows ?? 0)
        }
        return try outcome.get()
    }

    /// Reads the answer to a COPY FROM STDIN statement up to CopyInResponse; returns the
    /// machine that goes on through the copy.
    private func awaitCopyIn(_ io: ConnectionIO) async throws -> CopyInMachine {
        var machine = CopyInMachine()
        while true {
            switch try machine.receive(try await receive(io)) {
            case .read:
                continue
            case .startCopy:
                return machine
            case .finished(_, let end):
                // A bad table or column (the server's error), or a statement that was no COPY.
                try finish(end)
                throw PGError(.invalidArgument, "the statement did not start a COPY FROM STDIN")
            }
        }
    }
}
