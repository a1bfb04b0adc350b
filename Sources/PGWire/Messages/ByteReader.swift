/// A bounds-checked cursor over one message body.
///
/// Every read checks the bytes that remain and throws a ``PGError/Code/protocolViolation`` naming
/// the message when the body is too short, so decoding never reads outside the body and never
/// traps. Integers are big-endian, as on the wire.
struct ByteReader {
    /// The body being read.
    let bytes: UnsafeRawBufferPointer
    /// The type byte of the message, used to name it in errors.
    let messageType: UInt8
    /// The offset of the next byte to read.
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer, messageType: UInt8) {
        self.bytes = bytes
        self.messageType = messageType
    }

    /// The number of bytes not yet read.
    var remaining: Int { bytes.count - offset }

    /// A protocol-violation error that names this reader's message.
    func violation(_ detail: String) -> PGError {
        BackendMessageDecoder.violation(type: messageType, detail)
    }

    private func need(_ count: Int, _ what: StaticString) throws(PGError) {
        if remaining < count {
            throw violation("\(what) needs \(count) bytes, \(remaining) left")
        }
    }

    mutating func readUInt8(_ what: StaticString = "byte") throws(PGError) -> UInt8 {
        try need(1, what)
        let value = bytes[offset]
        offset += 1
        return value
    }

    mutating func readInt16(_ what: StaticString = "Int16") throws(PGError) -> Int16 {
        try need(2, what)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)
        offset += 2
        return Int16(bigEndian: value)
    }

    mutating func readUInt16(_ what: StaticString = "UInt16") throws(PGError) -> UInt16 {
        try need(2, what)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        offset += 2
        return UInt16(bigEndian: value)
    }

    mutating func readInt32(_ what: StaticString = "Int32") throws(PGError) -> Int32 {
        try need(4, what)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
        offset += 4
        return Int32(bigEndian: value)
    }

    mutating func readUInt32(_ what: StaticString = "UInt32") throws(PGError) -> UInt32 {
        try need(4, what)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return UInt32(bigEndian: value)
    }

    /// Reads a count field (Int16) that must not be negative.
    mutating func readCount16(_ what: StaticString) throws(PGError) -> Int {
        let count = try readInt16(what)
        if count < 0 { throw violation("negative \(what) \(count)") }
        return Int(count)
    }

    /// Reads a NUL-terminated string and decodes it as UTF-8.
    ///
    /// Invalid UTF-8 is repaired (each bad sequence becomes U+FFFD) rather than rejected: a server
    /// whose `client_encoding` is not UTF8 may still send a notice, and one odd byte in a message
    /// text should not close the connection. A missing terminator is a protocol violation.
    mutating func readCString(_ what: StaticString = "string") throws(PGError) -> String {
        let start = offset
        var end = start
        let count = bytes.count
        while end < count {
            if bytes[end] == 0 {
                offset = end + 1
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            end += 1
        }
        throw violation("\(what) is not NUL-terminated")
    }

    /// Reads `count` bytes into a new array.
    mutating func readBytes(_ count: Int, _ what: StaticString = "bytes") throws(PGError) -> [UInt8] {
        if count < 0 { throw violation("negative length \(count) for \(what)") }
        try need(count, what)
        let value = ByteReader.copy(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
        offset += count
        return value
    }

    /// Reads every byte that remains.
    mutating func readRest() -> [UInt8] {
        let value = ByteReader.copy(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        offset = bytes.count
        return value
    }

    /// Copies raw bytes into a new array: one allocation and one memcpy. (Measured faster than
    /// `Array(unsafeUninitializedCapacity:)`, which looks up generic metadata on every call.)
    @inline(__always)
    static func copy(_ source: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](source)
    }

    /// Throws unless the whole body was read.
    func expectEnd() throws(PGError) {
        if remaining != 0 {
            throw violation("\(remaining) unexpected trailing bytes")
        }
    }
}
