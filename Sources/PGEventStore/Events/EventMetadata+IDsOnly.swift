#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The common metadata, ids and nothing else, written and read without JSONEncoder and
/// JSONDecoder: they cost microseconds per event, more than the rest of an append's client
/// work. Anything else goes through the Codable path, which gives the same bytes.
extension EventMetadata {
    /// `{"causationId":"…","correlationId":"…"}` (sorted keys, nil ids left out), or nil when
    /// ``extra`` is not empty.
    var idsOnlyJSON: [UInt8]? {
        guard extra.isEmpty else { return nil }
        var json: [UInt8] = [UInt8(ascii: "{")]
        json.reserveCapacity(88)
        if let causationID { Self.append(key: Self.causationKey, id: causationID, to: &json) }
        if let correlationID {
            if causationID != nil { json.append(UInt8(ascii: ",")) }
            Self.append(key: Self.correlationKey, id: correlationID, to: &json)
        }
        json.append(UInt8(ascii: "}"))
        return json
    }

    private static func append(key: String, id: UUID, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        json.append(contentsOf: key.utf8)
        json.append(UInt8(ascii: "\""))
        json.append(UInt8(ascii: ":"))
        json.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: id.uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { json.append(UInt8(ascii: "-")) }
                json.append(hexDigit(byte >> 4))
                json.append(hexDigit(byte & 0x0F))
            }
        }
        json.append(UInt8(ascii: "\""))
    }

    /// The lowercase hexadecimal digit for `value` (0...15).
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// Metadata from a flat JSON object whose only keys are the two ids, with plain string
    /// values (as written above, or as jsonb prints it: `{"causationId": "…", ...}`); nil for
    /// anything else, which the caller then decodes in full.
    init?(idsOnlyJSON bytes: some Collection<UInt8>) {
        var scanner = Scanner(bytes: Array(bytes))
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        self.init()
        if scanner.take(UInt8(ascii: "}")) {
            if scanner.atEnd { return }
            return nil
        }
        repeat {
            guard let key = scanner.string(), scanner.take(UInt8(ascii: ":")), let value = scanner.string(),
                let id = UUIDText.parse(value)
            else { return nil }
            switch key {
            case Self.correlationKey where correlationID == nil: correlationID = id
            case Self.causationKey where causationID == nil: causationID = id
            default: return nil
            }
        } while scanner.take(UInt8(ascii: ","))
        guard scanner.take(UInt8(ascii: "}")), scanner.atEnd else { return nil }
    }

    /// Just enough JSON to read a flat object of escape-free strings.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
                index += 1
            }
        }

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return index == bytes.count
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string without escapes; nil for anything else.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }
}
