/// Base64 with the standard alphabet and `=` padding (RFC 4648, section 4), as SCRAM uses it.
///
/// The decoder is strict: it accepts exactly what ``encode(_:)`` produces and nothing else. A
/// length that is not a multiple of 4, a character outside the alphabet, whitespace, padding
/// anywhere but at the end, or non-zero unused bits before the padding all make it return nil.
/// So `decode(s)` succeeding implies `encode(decode(s)!) == s`.
enum Base64 {
    private static let alphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let padding = UInt8(ascii: "=")

    /// The value of each byte as a base64 digit, or 0xFF for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    /// The base64 text of `bytes`, padded.
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encodedBytes(bytes), as: UTF8.self)
    }

    /// The base64 text of `bytes`, padded, as ASCII bytes.
    static func encodedBytes(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let remaining = input.count - index
            let b0 = UInt32(input[index])
            let b1 = remaining > 1 ? UInt32(input[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(input[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(group >> 18 & 0x3F)])
            output.append(alphabet[Int(group >> 12 & 0x3F)])
            output.append(remaining > 1 ? alphabet[Int(group >> 6 & 0x3F)] : padding)
            output.append(remaining > 2 ? alphabet[Int(group & 0x3F)] : padding)
            index += 3
        }
        return output
    }

    /// The bytes encoded by `text`, or nil if it is not canonical padded base64.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(bytes: Array(text.utf8))
    }

    /// The bytes encoded by the ASCII text `bytes`, or nil if it is not canonical padded base64.
    static func decode(bytes: some Collection<UInt8>) -> [UInt8]? {
        let input = Array(bytes)
        guard input.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let padCount =
                isLast
                ? (input[index + 3] == padding ? (input[index + 2] == padding ? 2 : 1) : 0) : 0
            var group: UInt32 = 0
            for offset in 0..<4 {
                let character = input[index + offset]
                let value: UInt8
                if offset >= 4 - padCount {
                    value = 0
                } else {
                    value = values[Int(character)]
                    guard value != 0xFF else { return nil }
                }
                group = group << 6 | UInt32(value)
            }
            // Canonical form: the bits that padding leaves unused must be zero.
            if padCount == 1, group & 0xFF != 0 { return nil }
            if padCount == 2, group & 0xFFFF != 0 { return nil }
            output.append(UInt8(group >> 16 & 0xFF))
            if padCount < 2 { output.append(UInt8(group >> 8 & 0xFF)) }
            if padCount < 1 { output.append(UInt8(group & 0xFF)) }
            index += 4
        }
        return output
    }
}
