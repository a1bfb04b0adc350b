import Foundation
import FuzzSupport

/// The pgevents tool's JSON scanner (`Sources/pgevents/JSON/JSONScanner.swift`, compiled into
/// this fuzzer through a symlink: pgevents is an executable target, so nothing can import it).
/// The whole input is the JSON text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    JSONScannerFuzzing.check([UInt8](fuzzInput: start, count: count))
    return 0
}

/// Checks against Foundation's JSONSerialization (fragments allowed). The scanner promises strict
/// RFC 8259 syntax, nesting of at most 512 levels, and a string's text with escapes resolved; it
/// neither checks UTF-8 nor the range of numbers (the server's jsonb does both), and turns a lone
/// surrogate escape into U+FFFD. JSONSerialization rejects invalid UTF-8, lone surrogates and
/// numbers beyond Double, accepts a trailing comma, a BOM and bytes after a NUL, and drops a raw
/// U+FEFF at the start of a string's text or after an escape (a swift-corelibs-foundation bug). So:
/// - accepted by the scanner, valid UTF-8, no lone surrogate escape, every number finite as a
///   Double ⇒ accepted by JSONSerialization;
/// - accepted by JSONSerialization, no NUL byte, BOM or trailing comma ⇒ accepted by the scanner;
/// - `members(of:)` succeeds exactly for valid objects; its keys are JSONSerialization's keys,
///   and each value is itself valid;
/// - `unescapedString` of a string literal that JSONSerialization reads gives the same text.
enum JSONScannerFuzzing {
    static func check(_ input: [UInt8]) {
        let valid: Bool
        do {
            try JSONScanner.validate(input)
            valid = true
        } catch {
            valid = false
        }
        let foundation = try? JSONSerialization.jsonObject(with: Data(input), options: .fragmentsAllowed)
        let lexed = Lexed(input)
        if valid && foundation == nil {
            let excused = String(validating: input, as: UTF8.self) == nil || lexed.loneSurrogate || lexed.infiniteNumber
            FuzzSupport.check(excused, "the scanner accepts what JSONSerialization rejects")
        }
        if !valid && foundation != nil {
            let excused = input.contains(0) || input.starts(with: [0xEF, 0xBB, 0xBF]) || lexed.trailingComma
            FuzzSupport.check(excused, "the scanner rejects what JSONSerialization accepts")
        }

        let firstByte = input.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let members = try? JSONScanner.members(of: input)
        FuzzSupport.check(
            (members != nil) == (valid && firstByte == UInt8(ascii: "{")),
            "members(of:) \(members == nil ? "rejects" : "accepts") what validate \(valid ? "accepts" : "rejects")")
        if let members {
            for member in members {
                FuzzSupport.check((try? JSONScanner.validate(Array(member.value))) != nil, "a member's value is not valid")
                if member.value.first == UInt8(ascii: "\"") { checkString(member.value) }
            }
            if let object = foundation as? [String: Any] {
                // Up to the U+FEFF that JSONSerialization drops (see checkString).
                let bom = input.contains([0xEF, 0xBB, 0xBF])
                FuzzSupport.check(
                    Set(members.map { bom ? withoutBOM($0.key) : $0.key }) == Set(object.keys.map { bom ? withoutBOM($0) : $0 }),
                    "members(of:) gives keys \(members.map(\.key)), JSONSerialization \(Array(object.keys))")
            }
        }
        if valid, firstByte == UInt8(ascii: "\"") {
            let literal = input.drop { $0 != UInt8(ascii: "\"") }
            checkString(literal[..<(literal.lastIndex(of: UInt8(ascii: "\""))! + 1)])
        }
        // Never traps, whatever it is given (it stops at the end of an unterminated string).
        if input.first == UInt8(ascii: "\"") { _ = try? JSONScanner.unescapedString(input[...]) }
    }

    /// A valid string literal: its unescaped text is what JSONSerialization reads, if it reads it.
    static func checkString(_ literal: ArraySlice<UInt8>) {
        let text: String
        do {
            text = try JSONScanner.unescapedString(literal)
        } catch {
            fail("unescapedString rejects a valid literal: \(error)")
        }
        guard let expected = try? JSONSerialization.jsonObject(with: Data(literal), options: .fragmentsAllowed) else { return }
        guard let expected = expected as? String else { fail("JSONSerialization reads a string literal as \(type(of: expected))") }
        // swift-corelibs-foundation drops a raw (unescaped) U+FEFF that begins a string's text or
        // follows an escape; the scanner keeps it, as RFC 8259 asks. With a raw U+FEFF in the
        // literal, the texts are compared without any U+FEFF.
        let rawBOM = literal.contains([0xEF, 0xBB, 0xBF])
        FuzzSupport.check(
            Array(text.unicodeScalars) == Array(expected.unicodeScalars)
                || (rawBOM && Array(withoutBOM(text).unicodeScalars) == Array(withoutBOM(expected).unicodeScalars)),
            "unescapedString gives \(text.debugDescription), JSONSerialization \(expected.debugDescription)")
    }

    /// The text without any U+FEFF.
    static func withoutBOM(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{FEFF}" }))
    }

    /// A rough lexical pass (no grammar) to tell the differences the scanner has on purpose.
    struct Lexed {
        var loneSurrogate = false
        var infiniteNumber = false
        var trailingComma = false

        init(_ bytes: [UInt8]) {
            func hex(_ at: Int) -> UInt32? {
                guard at + 4 <= bytes.count else { return nil }
                return UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16)
            }
            var index = 0
            var lastSignificant: UInt8 = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                            if bytes[index + 1] == UInt8(ascii: "u"), let unit = hex(index + 2) {
                                if (0xD800..<0xDC00).contains(unit), index + 7 < bytes.count, bytes[index + 6] == UInt8(ascii: "\\"),
                                    bytes[index + 7] == UInt8(ascii: "u"), let low = hex(index + 8), (0xDC00..<0xE000).contains(low)
                                {
                                    index += 12
                                    continue
                                }
                                if (0xD800..<0xE000).contains(unit) { loneSurrogate = true }
                                index += 6
                                continue
                            }
                            index += 2
                            continue
                        }
                        index += 1
                    }
                    index += 1
                    lastSignificant = UInt8(ascii: "\"")
                    continue
                }
                if byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    let start = index
                    while index < bytes.count, "+-.eE0123456789".utf8.contains(bytes[index]) { index += 1 }
                    if let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)), !number.isFinite {
                        infiniteNumber = true
                    }
                    lastSignificant = UInt8(ascii: "0")
                    continue
                }
                if (byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")) && lastSignificant == UInt8(ascii: ",") {
                    trailingComma = true
                }
                if ![0x20, 0x09, 0x0A, 0x0D].contains(byte) { lastSignificant = byte }
                index += 1
            }
        }
    }
}
