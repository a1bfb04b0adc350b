/// The data of a `COPY ... TO STDOUT`, read from the socket as it is iterated: each element is
/// one CopyData chunk as the server sent it (for binary COPY, use ``PGCopyRowSequence``).
///
/// Like ``PGRowSequence``, it holds the connection's read turn until the copy ends; dropping
/// it early is fine: the connection's next exchange reads and discards the rest first.
public struct PGCopyDataSequence: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let exchange: ReadExchange<CopyOutMachine>

    public func makeAsyncIterator() -> Iterator { Iterator(chunks: CopyChunkReader(exchange: exchange)) }

    /// Reads the COPY's data chunk by chunk from the connection; nil once the copy has ended.
    public struct Iterator: AsyncIteratorProtocol {
        var chunks: CopyChunkReader
        public mutating func next() async throws -> [UInt8]? { try await chunks.next() }
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [UInt8]? {
            try await chunks.next()
        }
    }

    /// The command tag (`COPY 42`), known once the copy ended.
    public var commandTag: String? { exchange.commandTag }
}

/// The rows of a binary `COPY ... TO STDOUT`, decoded as they arrive, in constant memory.
///
/// Binary COPY data carries no column types, so the caller names them; each row then decodes
/// like a query row: `try row.decode(Int.self, at: 0)`.
public struct PGCopyRowSequence: AsyncSequence, Sendable {
    public typealias Element = PGRow
    let exchange: ReadExchange<CopyOutMachine>
    let columns: PGColumns

    public func makeAsyncIterator() -> Iterator { Iterator(chunks: CopyChunkReader(exchange: exchange), columns: columns) }

    /// Reads and decodes the COPY's rows one by one from the connection; nil after the binary
    /// trailer, once the copy has ended.
    public struct Iterator: AsyncIteratorProtocol {
        var chunks: CopyChunkReader
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
                guard let chunk = try await chunks.next() else {
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
    public var commandTag: String? { exchange.commandTag }
}

/// Reads a COPY TO STDOUT answer chunk by chunk for one iterator of a COPY sequence, with the
/// flow's machine as its own value once it claimed the exchange (see ``ReadExchange``).
struct CopyChunkReader {
    let exchange: ReadExchange<CopyOutMachine>
    private var machine: CopyOutMachine?
    private var done = false

    init(exchange: ReadExchange<CopyOutMachine>) {
        self.exchange = exchange
    }

    mutating func next() async throws -> [UInt8]? {
        if done { return nil }
        if machine == nil {
            machine = try exchange.start()
            if machine == nil {
                done = true
                return nil
            }
        }
        let connection = exchange.connection
        do {
            while var current = machine {
                let action = try current.receive(try await connection.receive(connection.io))
                machine = current
                switch action {
                case .read, .started:
                    continue
                case .data(let bytes):
                    return bytes
                case .finished(let tag, let end):
                    done = true
                    try exchange.finish(commandTag: tag, end)
                    return nil
                }
            }
            return nil
        } catch let error where done {
            throw error
        } catch {
            done = true
            throw exchange.fail(error)
        }
    }
}

extension PGConnection {
    /// Runs a `COPY ... TO STDOUT` statement and returns its data chunk by chunk, in any format
    /// (parse text or CSV with ``PGCopyTextDecoder`` or ``PGCopyCSVDecoder``).
    public func copyOut(_ sql: String) async throws -> PGCopyDataSequence {
        PGCopyDataSequence(exchange: try await startCopyOut(sql))
    }

    /// Runs a binary `COPY ... TO STDOUT (FORMAT binary)` and returns its rows decoded, with the
    /// column types given in order (binary COPY data carries none).
    public func copyOut(_ sql: String, columnTypes: [PGDataType]) async throws -> PGCopyRowSequence {
        let columns = PGColumns(columnTypes.enumerated().map { index, type in
            PGColumnDescription(
                name: "column\(index + 1)", tableOID: 0, columnAttributeNumber: 0, dataTypeOID: type.rawValue,
                dataTypeSize: -1, typeModifier: -1, format: .binary)
        })
        return PGCopyRowSequence(exchange: try await startCopyOut(sql), columns: columns)
    }

    /// Sends the statement and reads up to CopyOutResponse; the returned stream holds the turn.
    private func startCopyOut(_ sql: String) async throws -> ReadExchange<CopyOutMachine> {
        try await send { encoder in try encoder.query(sql) }
        do {
            var machine = CopyOutMachine()
            while true {
                switch try machine.receive(try await receive(io)) {
                case .read:
                    continue
                case .started:
                    return ReadExchange(connection: self, machine: machine)
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
