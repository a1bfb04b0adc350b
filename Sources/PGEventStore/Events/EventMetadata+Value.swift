extension EventMetadata {
    /// Any JSON value, for free-form data such as the extra keys of ``EventMetadata``.
    ///
    /// Numbers are `Double`, as in JSON itself. An integral number within ±2^53 (where every integer
    /// is exact in a `Double`) is written without a fraction, so `42` stays `42` rather than `42.0`,
    /// and integers in that range survive a round trip unchanged.
    ///
    /// ```swift
    /// let extra: [String: EventMetadata.Value] = ["tenant": "acme", "attempt": 2, "tags": ["a", "b"]]
    /// ```
    public enum Value: Sendable, Hashable, Codable {
        /// JSON `null`.
        case null
        /// A JSON `true` or `false`.
        case bool(Bool)
        /// A JSON number, as a `Double` (integral values within ±2^53 are written without a fraction).
        case number(Double)
        /// A JSON string.
        case string(String)
        /// A JSON array.
        case array([EventMetadata.Value])
        /// A JSON object.
        case object([String: EventMetadata.Value])

        /// Decodes whichever JSON value the decoder holds.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([EventMetadata.Value].self) {
                self = .array(value)
            } else if let value = try? container.decode([String: EventMetadata.Value].self) {
                self = .object(value)
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
            }
        }

        /// Encodes the value; integral numbers within ±2^53 as integers (see the type's documentation).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .number(let value):
                if let integer = Self.exactInteger(value) {
                    try container.encode(integer)
                } else {
                    try container.encode(value)
                }
            case .string(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }

        /// `value` as an integer when it is integral and within ±2^53; -0 stays a `Double` so its sign
        /// survives.
        private static func exactInteger(_ value: Double) -> Int64? {
            let limit = 9_007_199_254_740_992.0  // 2^53
            guard value.rounded(.towardZero) == value, abs(value) <= limit,
                !(value == 0 && value.sign == .minus)
            else { return nil }
            return Int64(value)
        }
    }
}

extension EventMetadata.Value: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension EventMetadata.Value: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension EventMetadata.Value: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
}

extension EventMetadata.Value: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension EventMetadata.Value: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension EventMetadata.Value: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: EventMetadata.Value...) { self = .array(elements) }
}

extension EventMetadata.Value: ExpressibleByDictionaryLiteral {
    /// A repeated key keeps its last value, as JSON parsers commonly do, instead of trapping.
    public init(dictionaryLiteral elements: (String, EventMetadata.Value)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
