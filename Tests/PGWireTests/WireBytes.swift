@_spi(Fuzzing) @testable import PGWire

/// Byte-building helpers for the message tests.
enum WireBytes {
    /// The bytes of an ASCII/UTF-8 string, without a terminator.
    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A NUL-terminated string.
    static func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    static func int16(_ value: Int16) -> [UInt8] {
        let bits = UInt16(bitPattern: value)
        return [UInt8(bits >> 8), UInt8(bits & 0xFF)]
    }

    static func int32(_ value: Int32) -> [UInt8] {
        let bits = UInt32(bitPattern: value)
        return [UInt8(bits >> 24), UInt8((bits >> 16) & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8(bits & 0xFF)]
    }

    /// A backend message: type byte, Int32 length (body + 4), body.
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [type.asciiValue!] + int32(Int32(body.count + 4)) + body
    }

    /// Feeds `bytes` to a fresh decoder at once and returns every message.
    static func decodeAll(
        _ bytes: [UInt8], limits: BackendMessageDecoder.Limits = .init()
    ) throws -> [BackendMessage] {
        var decoder = BackendMessageDecoder(limits: limits)
        decoder.append(contentsOf: bytes)
        var messages: [BackendMessage] = []
        while let message = try decoder.next() { messages.append(message) }
        return messages
    }

    /// Decodes a stream that must hold exactly one whole message, and nothing left over.
    static func decodeOne(_ bytes: [UInt8]) throws -> BackendMessage? {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: bytes)
        let message = try decoder.next()
        guard decoder.bufferedByteCount == 0, try decoder.next() == nil else { return nil }
        return message
    }

    /// Decodes `bytes` and returns the PGError thrown, or nil if none was.
    static func decodeError(
        _ bytes: [UInt8], limits: BackendMessageDecoder.Limits = .init()
    ) -> PGError? {
        pgError { _ = try decodeAll(bytes, limits: limits) }
    }
}
