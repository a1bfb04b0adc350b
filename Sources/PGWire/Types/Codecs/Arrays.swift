/// The binary format of one-dimensional arrays (`array_send`/`array_recv`):
///
/// ```
/// Int32  ndim            0 for an empty array, 1 otherwise (PGWire reads no more)
/// Int32  flags           1 when the array holds a NULL, else 0
/// UInt32 element type    the element OID
/// per dimension: Int32 length, Int32 lower bound (1 unless the array was built with another)
/// per element:   Int32 length (-1 for NULL), then that many bytes
/// ```
enum PGArrayCodec {
    static func encode<Element: PGArrayElement>(_ elements: [Element], into buffer: inout [UInt8]) throws {
        guard elements.count <= Int(Int32.max) else {
            throw PGError(.invalidArgument, "an array of \(elements.count) elements is too large to send")
        }
        buffer.appendBigEndian(Int32(elements.isEmpty ? 0 : 1))
        let flagsAt = buffer.count
        buffer.appendBigEndian(Int32(0))
        buffer.appendBigEndian(Element.pgElementDataType.rawValue)
        if elements.isEmpty { return }
        buffer.appendBigEndian(Int32(elements.count))
        buffer.appendBigEndian(Int32(1))
        var hasNulls = false
        for element in elements {
            if element.isPGNull {
                hasNulls = true
                buffer.appendBigEndian(Int32(-1))
            } else {
                let lengthAt = buffer.appendLengthPlaceholder()
                try element.encode(into: &buffer)
                try buffer.patchLength(at: lengthAt)
            }
        }
        if hasNulls { buffer[flagsAt + 3] = 1 }
    }

    static func decode<Element: PGArrayElement>(
        _ bytes: ArraySlice<UInt8>, type: PGDataType, format: PGFormat
    ) throws -> [Element] {
        func failure(_ reason: String) -> PGError {
            PGError.decoding(swiftType: [Element].self, type: type, reason)
        }
        guard format == .binary else {
            throw failure("text format is not supported for arrays; request binary results")
        }
        let expectedElement = elementType(ofArray: type)
        if expectedElement == nil, PGScalarTypes.contains(type) {
            throw failure("\(type) is not an array type")
        }
        var reader = PGBinaryReader(bytes)
        guard let ndim = reader.read(Int32.self), let flags = reader.read(Int32.self),
            let elementOID = reader.read(UInt32.self)
        else {
            throw failure("array header needs 12 bytes, got \(bytes.count)")
        }
        guard flags == 0 || flags == 1 else { throw failure("invalid array flags \(flags)") }
        let elementType = PGDataType(elementOID)
        if let expectedElement, expectedElement != elementType {
            throw failure("array of \(type) declares element type \(elementType)")
        }
        switch ndim {
        case 0:
            guard reader.remaining == 0 else { throw failure("\(reader.remaining) bytes after an empty array") }
            return []
        case 1:
            break
        case 2...:
            throw failure("\(ndim)-dimensional arrays are not supported, only one-dimensional ones")
        default:
            throw failure("invalid number of dimensions \(ndim)")
        }
        guard let count = reader.read(Int32.self), reader.read(Int32.self) != nil else {
            throw failure("array dimension needs 8 bytes, \(reader.remaining) left")
        }
        // Each element takes at least its 4 length bytes: check before reserving anything.
        guard count >= 0, Int(count) <= reader.remaining / 4 else {
            throw failure("\(count) elements cannot fit in \(reader.remaining) bytes")
        }
        var elements: [Element] = []
        elements.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            guard let length = reader.read(Int32.self) else {
                throw failure("element \(index) length needs 4 bytes, \(reader.remaining) left")
            }
            if length == -1 {
                do {
                    elements.append(try Element.decodeNull(type: elementType))
                } catch {
                    throw failure("element \(index) is NULL; decode as an array of optionals")
                }
                continue
            }
            guard let value = reader.readSlice(Int(length)) else {
                throw failure("element \(index) of \(length) bytes, only \(reader.remaining) left")
            }
            do {
                elements.append(try Element.decode(from: value, type: elementType, format: .binary))
            } catch let error as PGError {
                throw failure("element \(index): \(error.message)")
            }
        }
        guard reader.remaining == 0 else { throw failure("\(reader.remaining) bytes after the last element") }
        return elements
    }

    /// The element type of a built-in array type, or nil when `type` is not one.
    static func elementType(ofArray type: PGDataType) -> PGDataType? {
        switch type {
        case .boolArray: .bool
        case .byteaArray: .bytea
        case .charArray: .char
        case .nameArray: .name
        case .int2Array: .int2
        case .int4Array: .int4
        case .textArray: .text
        case .bpcharArray: .bpchar
        case .varcharArray: .varchar
        case .int8Array: .int8
        case .float4Array: .float4
        case .float8Array: .float8
        case .oidArray: .oid
        case .timestampArray: .timestamp
        case .dateArray: .date
        case .timestamptzArray: .timestamptz
        case .intervalArray: .interval
        case .numericArray: .numeric
        case .jsonArray: .json
        case .uuidArray: .uuid
        case .jsonbArray: .jsonb
        case .xid8Array: .xid8
        default: nil
        }
    }
}

/// The built-in scalar types PGWire knows: a value of one of them is never an array.
enum PGScalarTypes {
    static func contains(_ type: PGDataType) -> Bool {
        switch type {
        case .bool, .bytea, .char, .name, .int8, .int2, .int4, .text, .oid, .json, .float4, .float8,
            .unknown, .bpchar, .varchar, .date, .time, .timestamp, .timestamptz, .interval, .numeric,
            .uuid, .jsonb, .xid8:
            true
        default:
            false
        }
    }
}
