/// Writes frontend messages of protocol 3.0 into one reusable byte buffer.
///
/// Append as many messages as a round trip needs (for example Parse, Bind, Describe, Execute,
/// Sync), send ``buffer``, then ``reset()``. Each length prefix is written as a placeholder and
/// patched once the body is known.
///
/// A throwing method checks its arguments (no NUL byte in a C string, counts that fit the
/// protocol, a message under the server's 1 GB limit) and, when it throws, leaves ``buffer``
/// exactly as it was. Error messages name the argument but never show a password or a
/// parameter value.
@_spi(Fuzzing)
public struct FrontendMessageEncoder: Sendable {
    public private(set) var buffer: [UInt8]

    /// The largest length field (4 length bytes included) the server accepts for a message
    /// (`PQ_LARGE_MESSAGE_LIMIT`, 1 GB - 2). Lowered by tests.
    var maxMessageLength = 0x3FFF_FFFE
    /// CopyData chunks are kept well under the message limit.
    static let maxCopyDataChunk = 1 << 28
    /// The most parameters or format codes a message can carry: the server reads these Int16
    /// counts as unsigned (libpq's `PQ_QUERY_PARAM_MAX_LIMIT`).
    static let maxCount = Int(UInt16.max)

    public init() {
        buffer = []
    }

    /// Empties the buffer keeping its capacity.
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
    }

    // MARK: Startup and authentication

    /// StartupMessage for protocol 3.0 (196608): `user`, `database` (omitted when nil), then
    /// `parameters` in order, then the terminating NUL.
    public mutating func startup(user: String, database: String?, parameters: [(String, String)]) throws {
        try Self.checkCString(user, "user name")
        if let database { try Self.checkCString(database, "database name") }
        for (index, (name, value)) in parameters.enumerated() {
            // An empty name would end the parameter list early.
            if name.isEmpty { throw PGError(.invalidArgument, "startup parameter \(index + 1) has an empty name") }
            try Self.checkCString(name, "the name of startup parameter \(index + 1)")
            try Self.checkCString(value, "the value of startup parameter \(index + 1)")
        }
        let start = buffer.count
        appendInt32(0)
        appendInt32(196_608)
        appendCString("user")
        appendCString(user)
        if let database {
            appendCString("database")
            appendCString(database)
        }
        for (name, value) in parameters {
            appendCString(name)
            appendCString(value)
        }
        buffer.append(0)
        try finishMessage(start: start, lengthAt: start)
    }

    /// SSLRequest (80877103).
    public mutating func sslRequest() {
        appendInt32(8)
        appendInt32(80_877_103)
    }

    /// CancelRequest (80877102) with the key from BackendKeyData (4 bytes in 3.0, up to 256 in 3.2).
    public mutating func cancelRequest(processID: Int32, secretKey: [UInt8]) {
        let start = buffer.count
        appendInt32(0)
        appendInt32(80_877_102)
        appendInt32(processID)
        buffer.append(contentsOf: secretKey)
        patchLength(lengthAt: start)
    }

    /// PasswordMessage `p` (cleartext or MD5 hash).
    public mutating func password(_ password: String) throws {
        try Self.checkCString(password, "password")
        let start = beginMessage("p")
        appendCString(password)
        try finishMessage(start: start)
    }

    /// SASLInitialResponse `p`. An empty `initialResponse` is sent as "none" (length -1).
    public mutating func saslInitialResponse(mechanism: String, initialResponse: [UInt8]) throws {
        try Self.checkCString(mechanism, "SASL mechanism")
        let start = beginMessage("p")
        appendCString(mechanism)
        if initialResponse.isEmpty {
            appendInt32(-1)
        } else {
            appendInt32(Int32(truncatingIfNeeded: initialResponse.count))
            buffer.append(contentsOf: initialResponse)
        }
        try finishMessage(start: start)
    }

    /// SASLResponse `p`.
    public mutating func saslResponse(_ data: [UInt8]) {
        let start = beginMessage("p")
        buffer.append(contentsOf: data)
        patchLength(lengthAt: start + 1)
    }

    // MARK: Simple query

    /// Query `Q`.
    public mutating func query(_ sql: String) throws {
        try Self.checkCString(sql, "query")
        let start = beginMessage("Q")
        appendCString(sql)
        try finishMessage(start: start)
    }

    // MARK: Extended query

    /// Parse `P`. A parameter type of 0 lets the server infer it.
    public mutating func parse(statementName: String, query: String, parameterTypes: [UInt32]) throws {
        try Self.checkCString(statementName, "statement name")
        try Self.checkCString(query, "query")
        try Self.checkCount(parameterTypes.count, "parameter types")
        let start = beginMessage("P")
        appendCString(statementName)
        appendCString(query)
        appendInt16(UInt16(parameterTypes.count))
        for oid in parameterTypes { appendInt32(Int32(bitPattern: oid)) }
        try finishMessage(start: start)
    }

    /// Bind `B`. `nil` parameters are sent as SQL NULL (length -1).
    public mutating func bind(
        portalName: String,
        statementName: String,
        parameterFormats: [PGFormat],
        parameters: [[UInt8]?],
        resultFormats: [PGFormat]
    ) throws {
        try Self.checkCString(portalName, "portal name")
        try Self.checkCString(statementName, "statement name")
        try Self.checkCount(parameterFormats.count, "parameter formats")
        try Self.checkCount(parameters.count, "parameters")
        try Self.checkCount(resultFormats.count, "result formats")
        let start = beginMessage("B")
        appendCString(portalName)
        appendCString(statementName)
        appendFormats(parameterFormats)
        appendInt16(UInt16(parameters.count))
        for parameter in parameters {
            if let parameter {
                // A value too long for its length field fails the message length check below.
                appendInt32(Int32(truncatingIfNeeded: parameter.count))
                buffer.append(contentsOf: parameter)
            } else {
                appendInt32(-1)
            }
        }
        appendFormats(resultFormats)
        try finishMessage(start: start)
    }

    /// Bind `B` with parameters already in Bind's wire layout (`count` values, each an Int32
    /// length, -1 for NULL, then its bytes), copied in one go.
    public mutating func bind(
        portalName: String,
        statementName: String,
        parameterFormats: [PGFormat],
        parameterCount: Int,
        encodedParameters: [UInt8],
        resultFormats: [PGFormat]
    ) throws {
        try Self.checkCString(portalName, "portal name")
        try Self.checkCString(statementName, "statement name")
        try Self.checkCount(parameterFormats.count, "parameter formats")
        try Self.checkCount(parameterCount, "parameters")
        try Self.checkCount(resultFormats.count, "result formats")
        let start = beginMessage("B")
        appendCString(portalName)
        appendCString(statementName)
        appendFormats(parameterFormats)
        appendInt16(UInt16(parameterCount))
        buffer.append(contentsOf: encodedParameters)
        appendFormats(resultFormats)
        try finishMessage(start: start)
    }

    /// Describe `D` of a prepared statement (`S`).
    public mutating func describeStatement(_ name: String) throws {
        try namedMessage("D", kind: "S", name, "statement name")
    }

    /// Describe `D` of a portal (`P`).
    public mutating func describePortal(_ name: String) throws {
        try namedMessage("D", kind: "P", name, "portal name")
    }

    /// Execute `E`; `maxRows` 0 means no limit.
    public mutating func execute(portalName: String, maxRows: Int32) throws {
        try Self.checkCString(portalName, "portal name")
        let start = beginMessage("E")
        appendCString(portalName)
        appendInt32(maxRows)
        try finishMessage(start: start)
    }

    /// Close `C` of a prepared statement (`S`).
    public mutating func closeStatement(_ name: String) throws {
        try namedMessage("C", kind: "S", name, "statement name")
    }

    /// Close `C` of a portal (`P`).
    public mutating func closePortal(_ name: String) throws {
        try namedMessage("C", kind: "P", name, "portal name")
    }

    /// Sync `S`.
    public mutating func sync() { emptyMessage("S") }

    /// Flush `H`.
    public mutating func flush() { emptyMessage("H") }

    /// Terminate `X`.
    public mutating func terminate() { emptyMessage("X") }

    // MARK: COPY

    /// CopyData `d`. Data over 256 MiB is split into several CopyData messages, which COPY
    /// allows (message boundaries need not match rows).
    public mutating func copyData(_ bytes: some Collection<UInt8>) {
        copyData(bytes, chunkSize: Self.maxCopyDataChunk)
    }

    mutating func copyData(_ bytes: some Collection<UInt8>, chunkSize: Int) {
        let count = bytes.count
        if count <= chunkSize {
            let start = beginMessage("d")
            buffer.append(contentsOf: bytes)
            patchLength(lengthAt: start + 1)
            return
        }
        var chunkStart = bytes.startIndex
        var left = count
        while left > 0 {
            let size = Swift.min(left, chunkSize)
            let chunkEnd = bytes.index(chunkStart, offsetBy: size)
            let start = beginMessage("d")
            buffer.append(contentsOf: bytes[chunkStart..<chunkEnd])
            patchLength(lengthAt: start + 1)
            chunkStart = chunkEnd
            left -= size
        }
    }

    /// CopyDone `c`.
    public mutating func copyDone() { emptyMessage("c") }

    /// CopyFail `f` with the reason the server will report.
    public mutating func copyFail(_ message: String) throws {
        try Self.checkCString(message, "COPY failure message")
        let start = beginMessage("f")
        appendCString(message)
        try finishMessage(start: start)
    }
}

// MARK: - Writing primitives

extension FrontendMessageEncoder {
    /// Throws ``PGError/Code/invalidArgument`` if `string` contains a NUL byte, naming `argument`
    /// but never showing the string.
    static func checkCString(_ string: String, _ argument: @autoclosure () -> String) throws(PGError) {
        let hasNUL = string.utf8.withContiguousStorageIfAvailable { $0.contains(0) } ?? string.utf8.contains(0)
        if hasNUL {
            throw PGError(.invalidArgument, "\(argument()) contains a NUL byte")
        }
    }

    static func checkCount(_ count: Int, _ what: String) throws(PGError) {
        if count > maxCount {
            throw PGError(.invalidArgument, "\(count) \(what) exceed the protocol's limit of \(maxCount)")
        }
    }

    @inline(__always)
    mutating func appendInt16(_ value: UInt16) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendInt32(_ value: Int32) {
        let bits = UInt32(bitPattern: value)
        buffer.append(UInt8(truncatingIfNeeded: bits >> 24))
        buffer.append(UInt8(truncatingIfNeeded: bits >> 16))
        buffer.append(UInt8(truncatingIfNeeded: bits >> 8))
        buffer.append(UInt8(truncatingIfNeeded: bits))
    }

    /// Appends the string's UTF-8 bytes and a NUL; the caller has checked it holds no NUL.
    mutating func appendCString(_ string: String) {
        buffer.append(contentsOf: string.utf8)
        buffer.append(0)
    }

    mutating func appendFormats(_ formats: [PGFormat]) {
        appendInt16(UInt16(formats.count))
        for format in formats { appendInt16(UInt16(format.rawValue)) }
    }

    /// Appends the type byte and a length placeholder; returns the message's start.
    mutating func beginMessage(_ type: Unicode.Scalar) -> Int {
        let start = buffer.count
        buffer.append(UInt8(ascii: type))
        appendInt32(0)
        return start
    }

    /// Patches the length of the message at `start` (type byte first, or none when `lengthAt`
    /// equals `start`), or removes the message and throws when it is over the server's limit.
    mutating func finishMessage(start: Int, lengthAt: Int? = nil) throws(PGError) {
        let lengthAt = lengthAt ?? start + 1
        let length = buffer.count - lengthAt
        if length > maxMessageLength {
            buffer.removeSubrange(start...)
            throw PGError(
                .invalidArgument,
                "a message of \(length) bytes exceeds the server's limit of \(maxMessageLength) bytes")
        }
        storeLength(length, at: lengthAt)
    }

    /// Patches the length of a message that cannot throw.
    /// - Precondition: the message fits an Int32 length (only a multi-gigabyte argument breaks this).
    mutating func patchLength(lengthAt: Int) {
        let length = buffer.count - lengthAt
        precondition(length <= Int(Int32.max), "message of \(length) bytes is too long for the protocol")
        storeLength(length, at: lengthAt)
    }

    private mutating func storeLength(_ length: Int, at offset: Int) {
        buffer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(truncatingIfNeeded: length).bigEndian, toByteOffset: offset, as: UInt32.self)
        }
    }

    mutating func emptyMessage(_ type: Unicode.Scalar) {
        buffer.append(UInt8(ascii: type))
        appendInt32(4)
    }

    mutating func namedMessage(
        _ type: Unicode.Scalar, kind: Unicode.Scalar, _ name: String, _ argument: String
    ) throws(PGError) {
        try Self.checkCString(name, argument)
        let start = beginMessage(type)
        buffer.append(UInt8(ascii: kind))
        appendCString(name)
        try finishMessage(start: start)
    }
}
