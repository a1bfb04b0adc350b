/// libpq's `keyword = value` connection string syntax.
///
/// Settings are separated by whitespace; whitespace around `=` is allowed. A value is either
/// single-quoted, where `\'` and `\\` (and a backslash before any character) are escapes and
/// `''` is the empty value, or unquoted, ending at whitespace, where a backslash also escapes the
/// next character. As in libpq, whitespace after `=` is skipped, so `host= port=1` sets `host` to
/// `port=1`.
enum KeyValueParser {
    static func parse(_ bytes: [UInt8]) throws(PGError) -> [PGConnectionString.Parameter] {
        var parameters: [PGConnectionString.Parameter] = []
        var index = 0
        let end = bytes.count
        // Whether the previous value was a password written without quotes: a fragment after it
        // may be the rest of a password with a space in it, so messages must not show it.
        var previousWasUnquotedSecret = false

        func skipSpace() {
            while index < end, isConnectionStringSpace(bytes[index]) { index += 1 }
        }

        while true {
            skipSpace()
            if index == end { break }

            let keyStart = index
            while index < end, bytes[index] != UInt8(ascii: "="), !isConnectionStringSpace(bytes[index]) { index += 1 }
            let key = String(decoding: bytes[keyStart..<index], as: UTF8.self)
            skipSpace()
            guard index < end, bytes[index] == UInt8(ascii: "=") else {
                if previousWasUnquotedSecret {
                    throw PGError(
                        .invalidConfiguration,
                        "missing \"=\" after a password value in connection string (quote values that contain spaces)")
                }
                throw PGError(.invalidConfiguration, "missing \"=\" after \"\(key)\" in connection string")
            }
            index += 1
            skipSpace()

            var value: [UInt8] = []
            let quoted = index < end && bytes[index] == UInt8(ascii: "'")
            if quoted {
                index += 1
                var closed = false
                while index < end {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\\") {
                        index += 1
                        if index < end {
                            value.append(bytes[index])
                            index += 1
                        }
                    } else if byte == UInt8(ascii: "'") {
                        index += 1
                        closed = true
                        break
                    } else {
                        value.append(byte)
                        index += 1
                    }
                }
                guard closed else {
                    throw PGError(.invalidConfiguration, "unterminated quoted string in connection string")
                }
            } else {
                while index < end, !isConnectionStringSpace(bytes[index]) {
                    if bytes[index] == UInt8(ascii: "\\") {
                        index += 1
                        if index < end {
                            value.append(bytes[index])
                            index += 1
                        }
                    } else {
                        value.append(bytes[index])
                        index += 1
                    }
                }
            }
            previousWasUnquotedSecret = !quoted && ConnectionKeyword.isSecret(key)
            parameters.append(.init(key: key, value: String(decoding: value, as: UTF8.self)))
        }
        return parameters
    }
}
