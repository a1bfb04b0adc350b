/// A strict JSON (RFC 8259) checker that also hands out the raw text of a top-level object's
/// members, so event data is stored exactly as given (the store keeps the text as is; a
/// round trip through `Double` would lose digits).
///
/// Nesting is capped at ``maximumDepth``, so hostile input cannot exhaust the stack.
struct JSONScanner {
    struct Failure: Error, Equatable, CustomStringConvertible {
        /// What is wrong, and at which byte offset.
        var description: String
    }

    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Checks that `bytes` hold exactly one JSON value (with optional surrounding whitespace).
    static func validate(_ bytes: [UInt8]) throws(Failure) {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        try scanner.value(depth: 0)
        try scanner.expectEnd()
    }

    /// The members of the JSON object in `bytes`: each key (unescaped) and its value's raw
    /// bytes. Throws unless `bytes` hold exactly one valid object.
    static func members(of bytes: [UInt8]) throws(Failure) -> [(key: String, value: ArraySlice<UInt8>)] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else { throw scanner.failure("expected a JSON object") }
        scanner.index += 1
        var members: [(key: String, value: ArraySlice<UInt8>)] = []
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let keyStart = scanner.index
                try scanner.string()
                let key = try Self.unescapedString(bytes[keyStart..<scanner.index])
                scanner.skipWhitespace()
                try scanner.expect(UInt8(ascii: ":"))
                scanner.skipWhitespace()
                let valueStart = scanner.index
                try scanner.value(depth: 1)
                members.append((key, bytes[valueStart..<scanner.index]))
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: ",") {
                    scanner.index += 1
                    continue
                }
                try scanner.expect(UInt8(ascii: "}"))
                break
            }
        }
        try scanner.expectEnd()
        return members
    }

    /// The text of a JSON string literal (quotes included), escapes resolved.
    static func unescapedString(_ literal: ArraySlice<UInt8>) throws(Failure) -> String {
        var scanner = JSONScanner(Array(literal))
        var result: [UInt8] = []
        guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.failure("expected a string") }
        scanner.index += 1
        while let byte = scanner.peek(), byte != UInt8(ascii: "\"") {
            scanner.index += 1
            guard byte == UInt8(ascii: "\\") else {
                result.append(byte)
                continue
            }
            guard let escape = scanner.peek() else { break }
            scanner.index += 1
            switch escape {
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try scanner.hexQuad()
                if (0xD800..<0xDC00).contains(scalar), scanner.peek() == UInt8(ascii: "\\") {
                    let save = scanner.index
                    scanner.index += 1
                    if scanner.peek() == UInt8(ascii: "u") {
                        scanner.index += 1
                        let low = try scanner.hexQuad()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            scanner.index = save
                        }
                    } else {
                        scanner.index = save
                    }
                }
                // A lone surrogate cannot be text: it becomes U+FFFD, as JSONDecoder would refuse it.
                result.append(contentsOf: String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
            default: result.append(escape)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    // MARK: - Grammar

    private mutating func value(depth: Int) throws(Failure) {
        guard depth < Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        guard let byte = peek() else { throw failure("expected a value, found the end") }
        switch byte {
        case UInt8(ascii: "{"): try object(depth: depth + 1)
        case UInt8(ascii: "["): try array(depth: depth + 1)
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw failure("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(Failure) {
        try members(closing: UInt8(ascii: "}")) { scanner throws(Failure) in
            try scanner.string()
            scanner.skipWhitespace()
            try scanner.expect(UInt8(ascii: ":"))
            scanner.skipWhitespace()
            try scanner.value(depth: depth)
        }
    }

    private mutating func array(depth: Int) throws(Failure) {
        try members(closing: UInt8(ascii: "]")) { scanner throws(Failure) in try scanner.value(depth: depth) }
    }

    /// The comma-separated members of an object or array, from its opening byte to `closing`.
    private mutating func members(closing: UInt8, _ member: (inout Self) throws(Failure) -> Void) throws(Failure) {
        index += 1
        skipWhitespace()
        if peek() == closing {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try member(&self)
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(closing)
            return
        }
    }

    private mutating func string() throws(Failure) {
        try expect(UInt8(ascii: "\""))
        while true {
            guard let byte = peek() else { throw failure("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return
            case UInt8(ascii: "\\"):
                guard let escape = peek() else { throw failure("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    _ = try hexQuad()
                default:
                    index -= 1
                    throw failure("invalid escape in a string")
                }
            case 0..<0x20:
                index -= 1
                throw failure("control character in a string")
            default:
                break
            }
        }
    }

    private mutating func hexQuad() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = Self.hexDigit(byte) else { throw failure("invalid \\u escape") }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func number() throws(Failure) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() > 0 else { throw failure("invalid number") }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("invalid number") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("invalid number") }
        }
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw failure("unexpected character")
        }
        index += expected.count
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek() == byte else {
            throw failure(peek() == nil ? "unexpected end" : "expected '\(Character(Unicode.Scalar(byte)))'")
        }
        index += 1
    }

    private mutating func expectEnd() throws(Failure) {
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the JSON value") }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func failure(_ message: String) -> Failure {
        Failure(description: "\(message) at byte \(index + 1)")
    }
}
