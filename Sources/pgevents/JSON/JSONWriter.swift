/// Builds one JSON object as UTF-8 bytes, member by member, in the order given, so output
/// keys come in a fixed, documented order and already-JSON values (event data) are copied as
/// they are.
struct JSONWriter {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var isEmpty = true

    init() {}

    mutating func string(_ key: String, _ value: String) {
        self.key(key)
        Self.appendString(value, to: &bytes)
    }

    mutating func string(_ key: String, _ value: String?) {
        guard let value else { return null(key) }
        string(key, value)
    }

    mutating func integer(_ key: String, _ value: some BinaryInteger) {
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func integer(_ key: String, _ value: (some BinaryInteger)?) {
        guard let value else { return null(key) }
        integer(key, value)
    }

    /// A number with at most `decimals` digits after the point.
    mutating func number(_ key: String, _ value: Double, decimals: Int = 3) {
        self.key(key)
        guard value.isFinite else {
            bytes.append(contentsOf: "null".utf8)
            return
        }
        bytes.append(contentsOf: Self.decimal(value, decimals: decimals).utf8)
    }

    mutating func integers(_ key: String, _ values: [Int64]) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: String(value).utf8)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func strings(_ key: String, _ values: [String]) {
        self.key(key)
        bytes.append(contentsOf: Self.array(values.map { value in
            var literal: [UInt8] = []
            Self.appendString(value, to: &literal)
            return literal
        }))
    }

    /// A value that is already JSON text.
    mutating func raw(_ key: String, _ json: some Collection<UInt8>) {
        self.key(key)
        bytes.append(contentsOf: json)
    }

    mutating func boolean(_ key: String, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null(_ key: String) {
        self.key(key)
        bytes.append(contentsOf: "null".utf8)
    }

    /// The object's bytes, closed, without a line break.
    func finished() -> [UInt8] {
        bytes + [UInt8(ascii: "}")]
    }

    private mutating func key(_ key: String) {
        if !isEmpty { bytes.append(UInt8(ascii: ",")) }
        isEmpty = false
        Self.appendString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A JSON array of values that are already JSON text (objects another writer finished).
    static func array(_ elements: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: element)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    /// `value` as a JSON string literal: quotes, backslashes and control characters escaped,
    /// everything else as UTF-8.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)],
                    hex[Int(byte & 0xF)],
                ])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `value` rounded to `decimals` places, without trailing zeros or exponent.
    static func decimal(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        var text = String(rounded)
        if text.contains("e") { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
