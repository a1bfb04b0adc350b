/// The data of a `COPY ... TO STDOUT`, read from the socket as it is iterated: each element is
/// one CopyData chunk as the server sent it (for binary COPY, use ``PGCopyRowSequence``).
///
/// Like ``PGRowSequence``, it holds the connection's read turn until the copy ends; dropping
/// it early discards the rest in the background.
public struct PGCopyDataSequence: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let stream: CopyOutStream

    public func makeAsyncIterator() -> Iterator { Iterator(stream: stream) }

    public struct Iterator: AsyncIteratorProtocol {
        let stream: CopyOutStream
        public mutating func next() async throws -> [UInt8]? { try await stream.nextChunk() }
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [UInt8]? {
            try await stream.nextChunk()
        }
    }

    /// The command tag (`COPY 42`), known once the copy ended.
    public var commandTag: String? { stream.commandTag }
}

/// The rows of a binary `COPY ... TO STDOUT`, decoded as they arrive, in constant memory.
///
/// Binary COPY data carries no column types, so the caller names them; each row then decodes
/// like a query row: `try row.decode(Int.self, at: 0)`.
public struct PGCopyRowSequence: AsyncSequence, Sendable {
    public typealias Element = PGRow
    let stream: CopyOutStream
    let columns: PGColumns

    public func makeAsyncIterator() -> Iterator { Iterator(stream: stream, columns: columns) }

    public struct Iterator: AsyncIteratorProtocol {
        let stream: CopyOutStream
        let columns: PGColumns
        var decoder = PGCopyBinaryDecoder()

        public mutating func next() async throws -> PGRow? {
            while true {
                if let data = try decoder.nextRow() {
                    guard data.count == columns.count else {
                        throw PGError(.decoding, "a COPY row has \(data.count) columns, \(columns.count) column types were given")
                    }
                    return PGRow(columns: columns, data: data)
                }
                guard let chunk = try await stream.nextChunk() else {
                    try decoder.finish()
                    return nil
                }
                decoder.append(chunk)
            }
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> PGRow? {
            try await next()
        }
    }

    /// The command tag (`COPY 42`), known once the copy ended.
    public var commandTag: String? { stream.commandTag }
}

/// The reading state behind the COPY TO sequences; holds the read turn until ReadyForQuery.
final class CopyOutStream: @unchecked Sendable {
    let connection: PGConnection
    private(set) var commandTag: String?
    private var finished = false
    private var failure: (any Error)?
    private var machine: CopyOutMachine

    init(connection: PGConnection, machine: CopyOutMachine) {
        self.connection = connection
        self.machine = machine
    }

    deinit {
        if !finished { connection.discardRestInBackground() }
    }

    func nextChunk() async throws -> [UInt8]? {
        if finished {
            if let failure { throw failure }
            return nil
        }
        do {
            while true {
                switch try machine.receive(try await connection.receive(connection.io)) {
                case .read, .started:
                    continue
                case .data(let bytes):
                    return bytes
                case .finished(let tag, let end):
                    commandTag = tag
                    connection.ready(end.status)
                    if let fields = end.error { failure = connection.serverError(fields) }
                    finished = true
                    connection.endRead()
                    if let failure { throw failure }
                    return nil
                }
            }
        } catch let error as PGError where finished {
            throw error
        } catch {
            finished = true
            let thrown = connection.failExchange(error)
            connection.endRead()
            failure = thrown
            throw thrown
        }
    }
}

extension PGConnection {
    /// Runs a `COPY ... TO STDOUT` statement and returns its data chunk by chunk, in any format
    /// (parse text or CSV with ``PGCopyTextDecoder`` or ``PGCopyCSVDecoder``).
    public func copyOut(_ sql: String) async throws -> PGCopyDataSequence {
        PGCopyDataSequence(stream: try await startCopyOut(sql))
    }

    /// Runs a binary `COPY ... TO STDOUT (FORMAT binary)` and returns its rows decoded, with the
    /// column types given in order (binary COPY data carries none).
    public func copyOut(_ sql: String, columnTypes: [PGDataType]) async throws -> PGCopyRowSequence {
        let columns = PGColumns(columnTypes.enumerated().map { index, type in
            ColumnDescription(
                name: "column\(index + 1)", tableOID: 0, columnAttributeNumber: 0, dataTypeOID: type.rawValue,
                dataTypeSize: -1, typeModifier: -1, format: .binary)
        })
        return PGCopyRowSequence(stream: try await startCopyOut(sql), columns: columns)
    }

    /// Sends the statement and reads up to CopyOutResponse; the returned stream holds the turn.
    private func startCopyOut(_ sql: String) async throws -> CopyOutStream {
        try await send { encoder in try encoder.query(sql) }
        do {
            var machine = CopyOutMachine()
            while true {
                switch try machine.receive(try await receive(io)) {
                case .read:
                    continue
                case .started:
                    return CopyOutStream(connection: self, machine: machine)
                case .data:
                    throw PGError(.protocolViolation, "the server sent COPY data before CopyOutResponse")
                case .finished(_, let end):
                    try finish(end)
                    throw PGError(.invalidArgument, "the statement did not start a COPY TO STDOUT")
                }
            }
        } catch {
            let thrown = failExchange(error)
            endRead()
            throw thrown
        }
    }
}
