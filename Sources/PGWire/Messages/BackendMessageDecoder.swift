/// Splits the bytes received from the server into ``BackendMessage`` values.
///
/// Feed bytes with ``append(_:)`` (or read straight into the buffer with
/// ``writeIntoTail(minimumCapacity:_:)``), then call ``next()`` until it returns `nil`.
///
/// The decoder never trusts a length: a length below 4 or a type byte that protocol 3 does not
/// define is a ``PGError/Code/protocolViolation``, and a length above ``Limits`` is
/// ``PGError/Code/messageTooLarge``, both reported as soon as the 5-byte header is there. Each
/// body must be consumed exactly. After a throw the decoder keeps throwing the same error: the
/// stream has lost sync and the connection must close.
@_spi(Fuzzing)
public struct BackendMessageDecoder: Sendable {
    /// The caps on message lengths: ``PGMessageLimits``.
    public typealias Limits = PGMessageLimits

    public var limits: Limits

    /// Received bytes live in `storage[readIndex..<writeIndex]`; `storage[writeIndex...]` is free.
    private var storage: [UInt8] = []
    private var readIndex = 0
    private var writeIndex = 0
    /// The total size (type byte included) of the message whose header is buffered but whose
    /// body is not complete yet, or 0. Growth stops at it (plus the free space asked for), so a
    /// large message is assembled without overshooting, while the allocation still follows the
    /// bytes that arrive rather than the declared length.
    private var pendingMessageSize = 0
    /// Set by the first throw; every later ``next()`` throws it again.
    private var failure: PGError?
    /// Bytes moved by compaction or growth since creation; tests check that it stays linear.
    private(set) var copiedByteCount = 0

    /// The allocated size of the buffer, for tests.
    var bufferCapacity: Int { storage.count }

    /// The size below which the buffer is kept between messages; a larger buffer (grown for a
    /// large message) is released once it is empty.
    private static let retainedCapacity = 1 << 20
    private static let minimumAllocation = 4096

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received but not yet returned as messages.
    public var bufferedByteCount: Int { writeIndex - readIndex }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        reserveFree(bytes.count)
        storage.withUnsafeMutableBytes { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[writeIndex..<(writeIndex + bytes.count)])
                .copyMemory(from: bytes)
        }
        writeIndex += bytes.count
    }

    public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            append(UnsafeRawBufferPointer(buffer))
        }
        if done != nil { return }
        reserveFree(Swift.max(bytes.underestimatedCount, 1))
        for byte in bytes {
            if writeIndex == storage.count { reserveFree(Swift.max(storage.count, 1)) }
            storage[writeIndex] = byte
            writeIndex += 1
        }
    }

    /// Lets the caller read() straight into the buffer's free tail: ensures at least
    /// `minimumCapacity` free bytes, passes them to `body`, which returns how many it filled
    /// (`0...count`). Returns that count. Compacts consumed bytes away when useful (amortised
    /// O(1) per byte, no quadratic memmove).
    ///
    /// - Precondition: `body` returns a count in `0...buffer.count` (a programming error).
    public mutating func writeIntoTail(
        minimumCapacity: Int,
        _ body: (UnsafeMutableRawBufferPointer) throws -> Int
    ) rethrows -> Int {
        reserveFree(Swift.max(minimumCapacity, 1))
        let start = writeIndex
        let filled = try storage.withUnsafeMutableBytes { raw in
            let tail = UnsafeMutableRawBufferPointer(rebasing: raw[start...])
            let filled = try body(tail)
            precondition(filled >= 0 && filled <= tail.count, "writeIntoTail: body returned \(filled) for \(tail.count) bytes")
            return filled
        }
        writeIndex += filled
        return filled
    }

    /// The type byte of the next buffered message, whole or not; nil when nothing is buffered.
    /// Lets a reader take the asynchronous messages (NotificationResponse, NoticeResponse,
    /// ParameterStatus) that follow the end of its answer without touching the next answer.
    public var nextMessageType: UInt8? {
        guard failure == nil, writeIndex > readIndex else { return nil }
        return storage[readIndex]
    }

    /// Returns the next whole message, or `nil` when more bytes are needed.
    ///
    /// Throws ``PGError/Code/protocolViolation`` for malformed input and
    /// ``PGError/Code/messageTooLarge`` for a length above ``limits``. After a throw the decoder
    /// is unusable and throws the same error again.
    public mutating func next() throws -> BackendMessage? {
        if let failure { throw failure }
        let available = writeIndex - readIndex
        if available == 0 { return nil }
        let start = readIndex
        let (type, length) = storage.withUnsafeBytes { raw -> (UInt8, Int32) in
            guard available >= 5 else { return (raw[start], 0) }
            return (raw[start], Int32(bigEndian: raw.loadUnaligned(fromByteOffset: start + 1, as: Int32.self)))
        }
        if !Self.isKnownType(type) {
            throw fail(PGError(.protocolViolation, "unknown backend message type \(Self.hex(type))"))
        }
        if available < 5 { return nil }
        if length < 4 {
            throw fail(Self.violation(type: type, "invalid length \(length)"))
        }
        let cap = Self.isLongType(type) ? limits.maxLongMessageLength : limits.maxShortMessageLength
        if Int(length) > cap {
            throw fail(
                PGError(
                    .messageTooLarge,
                    "\(Self.name(of: type)) message of \(length) bytes exceeds the limit of \(cap) bytes"))
        }
        let total = 1 + Int(length)
        if available < total {
            pendingMessageSize = total
            return nil
        }
        pendingMessageSize = 0
        if total > Self.retainedCapacity, type == UInt8(ascii: "D") || type == UInt8(ascii: "d") {
            return try handOver(type: type, start: start, total: total)
        }
        let result = storage.withUnsafeBytes { raw in
            Result { () throws(PGError) in
                try Self.decode(type: type, body: UnsafeRawBufferPointer(rebasing: raw[(start + 5)..<(start + total)]))
            }
        }
        let message: BackendMessage
        switch result {
        case .success(let decoded): message = decoded
        case .failure(let error): throw fail(error)
        }
        readIndex += total
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
        return message
    }

    /// A large DataRow or CopyData becomes its message without a second copy: the buffer that
    /// assembled it is handed over (its header moved out in place) and the decoder keeps only
    /// the bytes that follow it. A 500 MB row then needs 500 MB, not a billion bytes.
    private mutating func handOver(type: UInt8, start: Int, total: Int) throws(PGError) -> BackendMessage {
        let end = start + total
        var columns = 0
        if type == UInt8(ascii: "D") {
            let validation = storage.withUnsafeBytes { raw in
                Result { () throws(PGError) in try Self.validateDataRow(UnsafeRawBufferPointer(rebasing: raw[(start + 5)..<end])) }
            }
            switch validation {
            case .success(let count): columns = count
            case .failure(let error): throw fail(error)
            }
        }
        let following = Array(storage[end..<writeIndex])
        var body: [UInt8] = []
        swap(&body, &storage)
        body.removeSubrange(end...)
        body.removeSubrange(0..<(start + 5))
        storage = following
        readIndex = 0
        writeIndex = following.count
        return type == UInt8(ascii: "D") ? .dataRow(DataRow(validatedBytes: body, count: columns)) : .copyData(body)
    }

    /// The address of the receive buffer, for tests that check a message took it over.
    var storageAddress: UnsafeRawPointer? { storage.withUnsafeBytes { $0.baseAddress } }

    private mutating func fail(_ error: PGError) -> PGError {
        failure = error
        return error
    }

    /// Makes at least `count` bytes free after `writeIndex`.
    ///
    /// The cost stays amortised O(1) per byte received:
    /// - unread bytes move to the front in place when at least as many bytes were consumed as
    ///   remain unread, so each move is paid for by consumed bytes;
    /// - otherwise the buffer grows geometrically, copying only the unread bytes;
    /// - except that while a message is being assembled, growth stops at that message plus the
    ///   free space asked for, which lasts until the message is complete (so a 100 MB row takes
    ///   about 100 MB, not up to 200 MB);
    /// - a buffer grown past `retainedCapacity` for a large message shrinks once it is consumed.
    private mutating func reserveFree(_ count: Int) {
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
            if storage.count > Self.retainedCapacity, storage.count >= 4 * count {
                storage = []  // release a buffer grown for a large message; reallocated below
            }
        }
        if storage.count - writeIndex >= count { return }
        let unread = writeIndex - readIndex
        let (required, overflow) = unread.addingReportingOverflow(count)
        precondition(!overflow, "BackendMessageDecoder: requested capacity overflows")

        // The new size of the buffer; `nil` to keep it and move the unread bytes to the front.
        var capacity: Int?
        if storage.count >= required && readIndex >= unread {
            if storage.count > Self.retainedCapacity && storage.count >= 4 * required {
                capacity = Swift.max(2 * required, Self.retainedCapacity)
            }
        } else {
            var grown = Swift.max(required, 2 * storage.count, Self.minimumAllocation)
            if pendingMessageSize > unread {
                grown = Swift.min(grown, Swift.max(required, pendingMessageSize + count))
            }
            if grown > storage.count { capacity = grown }
        }

        let from = readIndex
        if let capacity {
            var resized = [UInt8](repeating: 0, count: capacity)
            if unread > 0 {
                resized.withUnsafeMutableBytes { destination in
                    storage.withUnsafeBytes { source in
                        destination.baseAddress!.copyMemory(from: source.baseAddress! + from, byteCount: unread)
                    }
                }
            }
            storage = resized
        } else if unread > 0 {
            storage.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + from, byteCount: unread)
            }
        }
        copiedByteCount += unread
        readIndex = 0
        writeIndex = unread
    }
}

extension BackendMessageDecoder {
    /// Whether protocol 3 defines `type` as a backend message.
    static func isKnownType(_ type: UInt8) -> Bool {
        switch type {
        case UInt8(ascii: "R"), UInt8(ascii: "K"), UInt8(ascii: "2"), UInt8(ascii: "3"),
            UInt8(ascii: "C"), UInt8(ascii: "d"), UInt8(ascii: "c"), UInt8(ascii: "G"),
            UInt8(ascii: "H"), UInt8(ascii: "W"), UInt8(ascii: "D"), UInt8(ascii: "I"),
            UInt8(ascii: "E"), UInt8(ascii: "V"), UInt8(ascii: "v"), UInt8(ascii: "n"),
            UInt8(ascii: "N"), UInt8(ascii: "A"), UInt8(ascii: "t"), UInt8(ascii: "S"),
            UInt8(ascii: "1"), UInt8(ascii: "s"), UInt8(ascii: "Z"), UInt8(ascii: "T"):
            return true
        default:
            return false
        }
    }

    /// Whether `type` may legitimately exceed ``Limits/maxShortMessageLength``: libpq's list,
    /// plus ParameterDescription, which grows with the parameter count (up to 65,535).
    static func isLongType(_ type: UInt8) -> Bool {
        switch type {
        case UInt8(ascii: "D"), UInt8(ascii: "d"), UInt8(ascii: "T"), UInt8(ascii: "E"),
            UInt8(ascii: "N"), UInt8(ascii: "A"), UInt8(ascii: "V"), UInt8(ascii: "t"):
            return true
        default:
            return false
        }
    }

    /// The protocol documentation's name for a backend message type.
    static func name(of type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "R"): "Authentication"
        case UInt8(ascii: "K"): "BackendKeyData"
        case UInt8(ascii: "2"): "BindComplete"
        case UInt8(ascii: "3"): "CloseComplete"
        case UInt8(ascii: "C"): "CommandComplete"
        case UInt8(ascii: "d"): "CopyData"
        case UInt8(ascii: "c"): "CopyDone"
        case UInt8(ascii: "G"): "CopyInResponse"
        case UInt8(ascii: "H"): "CopyOutResponse"
        case UInt8(ascii: "W"): "CopyBothResponse"
        case UInt8(ascii: "D"): "DataRow"
        case UInt8(ascii: "I"): "EmptyQueryResponse"
        case UInt8(ascii: "E"): "ErrorResponse"
        case UInt8(ascii: "V"): "FunctionCallResponse"
        case UInt8(ascii: "v"): "NegotiateProtocolVersion"
        case UInt8(ascii: "n"): "NoData"
        case UInt8(ascii: "N"): "NoticeResponse"
        case UInt8(ascii: "A"): "NotificationResponse"
        case UInt8(ascii: "t"): "ParameterDescription"
        case UInt8(ascii: "S"): "ParameterStatus"
        case UInt8(ascii: "1"): "ParseComplete"
        case UInt8(ascii: "s"): "PortalSuspended"
        case UInt8(ascii: "Z"): "ReadyForQuery"
        case UInt8(ascii: "T"): "RowDescription"
        default: "message type \(hex(type))"
        }
    }

    /// `0x4A` style.
    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
    }

    static func violation(type: UInt8, _ detail: String) -> PGError {
        PGError(.protocolViolation, "malformed \(name(of: type)) message: \(detail)")
    }
}

/// Caps on the declared length of a message from the server, which counts the 4 length bytes
/// but not the type byte (``PGConnection/Configuration/messageLimits``). A longer message closes
/// the connection with ``PGError/Code/messageTooLarge`` before its body is read.
public struct PGMessageLimits: Sendable, Equatable {
    /// Max length (incl. the 4 length bytes) of messages other than the "long" types. libpq
    /// treats a non-row message over 30,000 bytes as lost sync.
    public var maxShortMessageLength: Int = 30_000
    /// Max length for the types that may be long: DataRow 'D', CopyData 'd', RowDescription
    /// 'T', ErrorResponse 'E', NoticeResponse 'N', NotificationResponse 'A',
    /// FunctionCallResponse 'V', and ParameterDescription 't' (4 bytes per parameter, so a
    /// statement with more than 7,499 parameters describes itself in over 30,000 bytes).
    public var maxLongMessageLength: Int = 1 << 30

    /// Caps of `maxShortMessageLength` and `maxLongMessageLength` bytes.
    public init(maxShortMessageLength: Int = 30_000, maxLongMessageLength: Int = 1 << 30) {
        self.maxShortMessageLength = maxShortMessageLength
        self.maxLongMessageLength = maxLongMessageLength
    }
}
