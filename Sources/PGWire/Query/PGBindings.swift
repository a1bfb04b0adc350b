/// The parameter values of one statement, already encoded in binary format.
///
/// Values are encoded when appended, so a query holds bytes, never the Swift values; PGWire
/// never prints them (they may be secrets).
public struct PGBindings: Sendable, Equatable {
    /// The declared type of each parameter (``PGDataType/unspecified`` lets the server infer).
    public private(set) var dataTypes: [PGDataType] = []
    /// Each parameter's binary value, `nil` for NULL.
    public private(set) var values: [[UInt8]?] = []

    /// The most parameters one statement can have: the protocol counts them in an Int16.
    public static let maximumCount = 65_535

    public init() {}

    public init(capacity: Int) {
        dataTypes.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// The number of parameters.
    public var count: Int { values.count }

    /// Encodes and appends `value` as the next parameter (`$<count + 1>`).
    public mutating func append(_ value: some PGEncodable) throws {
        if value.isPGNull {
            dataTypes.append(value.pgDataType)
            values.append(nil)
            return
        }
        var bytes: [UInt8] = []
        try value.encode(into: &bytes)
        dataTypes.append(value.pgDataType)
        values.append(bytes)
    }

    /// Appends an already encoded value.
    public mutating func appendEncoded(_ bytes: [UInt8]?, as dataType: PGDataType) {
        dataTypes.append(dataType)
        values.append(bytes)
    }

    /// Replaces parameter `index` (used when a prepared statement wants another width).
    mutating func replace(at index: Int, with bytes: [UInt8]?, as dataType: PGDataType) {
        values[index] = bytes
        dataTypes[index] = dataType
    }
}
