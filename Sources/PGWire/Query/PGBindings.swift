/// The parameter values of one statement, already encoded in binary format.
///
/// Values are encoded when appended, straight into one buffer laid out as the Bind message
/// wants them (an Int32 length, -1 for NULL, then the bytes), so a query with parameters costs
/// one allocation for all of them and Bind copies them in one go. A query holds bytes, never
/// the Swift values; PGWire never prints them (they may be secrets).
public struct PGBindings: Sendable, Equatable {
    /// The declared type of each parameter (``PGDataType/unspecified`` lets the server infer).
    public private(set) var dataTypes: [PGDataType] = []
    /// The parameters in Bind's wire layout.
    private(set) var wire: [UInt8] = []

    /// The most parameters one statement can have: the protocol counts them in an Int16.
    public static let maximumCount = 65_535

    /// No parameters.
    public init() {}

    /// No parameters yet, with room reserved for `capacity` of them.
    public init(capacity: Int) {
        dataTypes.reserveCapacity(capacity)
        wire.reserveCapacity(capacity * 12)
    }

    /// The number of parameters.
    public var count: Int { dataTypes.count }

    /// Each parameter's binary value, `nil` for NULL.
    public var values: [[UInt8]?] {
        var values: [[UInt8]?] = []
        values.reserveCapacity(count)
        var offset = 0
        while offset + 4 <= wire.count {
            let length = Int32(bitPattern: UInt32(wire[offset]) << 24 | UInt32(wire[offset + 1]) << 16
                | UInt32(wire[offset + 2]) << 8 | UInt32(wire[offset + 3]))
            offset += 4
            if length < 0 {
                values.append(nil)
            } else {
                values.append(Array(wire[offset..<(offset + Int(length))]))
                offset += Int(length)
            }
        }
        return values
    }

    /// Encodes and appends `value` as the next parameter (`$<count + 1>`).
    public mutating func append(_ value: some PGEncodable) throws {
        if value.isPGNull {
            appendLength(-1)
            dataTypes.append(value.pgDataType)
            return
        }
        let start = wire.count
        appendLength(0)
        do {
            try value.encode(into: &wire)
        } catch {
            wire.removeSubrange(start...)
            throw error
        }
        let length = wire.count - start - 4
        guard length <= Int(Int32.max) else {
            wire.removeSubrange(start...)
            throw PGError(.invalidArgument, "parameter $\(count + 1) is larger than 2 GiB")
        }
        patchLength(UInt32(length), at: start)
        dataTypes.append(value.pgDataType)
    }

    /// Appends an already encoded value.
    public mutating func appendEncoded(_ bytes: [UInt8]?, as dataType: PGDataType) {
        if let bytes {
            appendLength(Int32(truncatingIfNeeded: bytes.count))
            wire.append(contentsOf: bytes)
        } else {
            appendLength(-1)
        }
        dataTypes.append(dataType)
    }

    /// Replaces parameter `index` (used when a prepared statement wants another width).
    mutating func replace(at index: Int, with bytes: [UInt8]?, as dataType: PGDataType) {
        var values = self.values
        values[index] = bytes
        var types = dataTypes
        types[index] = dataType
        self = PGBindings(capacity: values.count)
        for (value, type) in zip(values, types) { appendEncoded(value, as: type) }
    }

    private mutating func appendLength(_ length: Int32) {
        let bits = UInt32(bitPattern: length)
        wire.append(UInt8(bits >> 24))
        wire.append(UInt8(truncatingIfNeeded: bits >> 16))
        wire.append(UInt8(truncatingIfNeeded: bits >> 8))
        wire.append(UInt8(truncatingIfNeeded: bits))
    }

    private mutating func patchLength(_ length: UInt32, at offset: Int) {
        wire[offset] = UInt8(length >> 24)
        wire[offset + 1] = UInt8(truncatingIfNeeded: length >> 16)
        wire[offset + 2] = UInt8(truncatingIfNeeded: length >> 8)
        wire[offset + 3] = UInt8(truncatingIfNeeded: length)
    }
}
