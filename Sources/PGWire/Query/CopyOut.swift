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

    init(connection: PGConnection) {
        self.connection = connection
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
                switch try await connection.receive(connection.io) {
                case .copyData(let bytes):
                    if failure == nil { return bytes }
                case .copyDone:
                    continue
                case .commandComplete(let tag):
                    commandTag = tag
                case .errorResponse(let fields):
                    failure = connection.serverError(fields)
                case .readyForQuery(let status):
                    connection.ready(status)
                    finished = true
                    connection.endRead()
                    if let failure { throw failure }
                    return nil
                case let other:
                    throw PGError(.protocolViolation, "unexpected \(other.kindName) during COPY TO STDOUT")
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
            while true {
                switch try await receive(io) {
                case .copyOutResponse:
                    return CopyOutStream(connection: self)
                case .errorResponse(let fields):
                    _ = try? await RowStream.readToEnd(self)
                    throw serverError(fields)
                case .readyForQuery(let status):
                    ready(status)
                    throw PGError(.invalidArgument, "the statement did not start a COPY TO STDOUT")
                case .commandComplete, .rowDescription, .dataRow, .emptyQueryResponse:
                    continue
                case let other:
                    throw PGError(.protocolViolation, "unexpected \(other.kindName) instead of CopyOutResponse")
                }
            }
        } catch {
            let thrown = failExchange(error)
            endRead()
            throw thrown
        }
    }
}
