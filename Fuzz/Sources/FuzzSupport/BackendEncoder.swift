@_spi(Fuzzing) import PGWire

/// Encodes backend messages as a server would; exists only to check decode, encode, decode.
///
/// Where the decoder keeps less than the wire carried (the order of error fields, the major
/// protocol version), the encoder writes one canonical form; decoding it must give back the
/// same value.
enum BackendEncoder {
    static func message(_ message: BackendMessage) -> [UInt8] {
        let (type, body) = encode(message)
        return [type] + int32(Int32(body.count + 4)) + body
    }

    static func encode(_ message: BackendMessage) -> (UInt8, [UInt8]) {
        switch message {
        case .authentication(let request): return (ascii("R"), authentication(request))
        case .backendKeyData(let key): return (ascii("K"), int32(key.processID) + key.secretKey)
        case .bindComplete: return (ascii("2"), [])
        case .closeComplete: return (ascii("3"), [])
        case .commandComplete(let tag): return (ascii("C"), cString(tag))
        case .copyData(let bytes): return (ascii("d"), bytes)
        case .copyDone: return (ascii("c"), [])
        case .copyInResponse(let response): return (ascii("G"), copyResponse(response))
        case .copyOutResponse(let response): return (ascii("H"), copyResponse(response))
        case .copyBothResponse(let response): return (ascii("W"), copyResponse(response))
        case .dataRow(let row): return (ascii("D"), row.bytes)
        case .emptyQueryResponse: return (ascii("I"), [])
        case .errorResponse(let fields): return (ascii("E"), serverFields(fields))
        case .functionCallResponse(let value):
            guard let value else { return (ascii("V"), int32(-1)) }
            return (ascii("V"), int32(Int32(value.count)) + value)
        case .negotiateProtocolVersion(let negotiation):
            var body = int32(3 << 16 | negotiation.newestMinorVersion)
            body += int32(Int32(negotiation.unrecognizedOptions.count))
            for option in negotiation.unrecognizedOptions { body += cString(option) }
            return (ascii("v"), body)
        case .noData: return (ascii("n"), [])
        case .noticeResponse(let fields): return (ascii("N"), serverFields(fields))
        case .notificationResponse(let notification):
            return (
                ascii("A"),
                int32(notification.processID) + cString(notification.channel) + cString(notification.payload)
            )
        case .parameterDescription(let oids):
            return (ascii("t"), uint16(UInt16(oids.count)) + oids.flatMap(uint32))
        case .parameterStatus(let name, let value): return (ascii("S"), cString(name) + cString(value))
        case .parseComplete: return (ascii("1"), [])
        case .portalSuspended: return (ascii("s"), [])
        case .readyForQuery(let status): return (ascii("Z"), [status.rawValue])
        case .rowDescription(let columns):
            var body = uint16(UInt16(columns.count))
            for column in columns {
                body += cString(column.name) + uint32(column.tableOID) + int16(column.columnAttributeNumber)
                body += uint32(column.dataTypeOID) + int16(column.dataTypeSize) + int32(column.typeModifier)
                body += int16(column.format.rawValue)
            }
            return (ascii("T"), body)
        }
    }

    static func authentication(_ request: AuthenticationRequest) -> [UInt8] {
        switch request {
        case .ok: return int32(0)
        case .kerberosV5: return int32(2)
        case .cleartextPassword: return int32(3)
        case .md5Password(let salt): return int32(5) + [salt.0, salt.1, salt.2, salt.3]
        case .gss: return int32(7)
        case .gssContinue(let data): return int32(8) + data
        case .sspi: return int32(9)
        case .sasl(let mechanisms): return int32(10) + mechanisms.flatMap(cString) + [0]
        case .saslContinue(let data): return int32(11) + data
        case .saslFinal(let data): return int32(12) + data
        }
    }

    static func copyResponse(_ response: CopyResponse) -> [UInt8] {
        [UInt8(response.format.rawValue)] + int16(Int16(response.columnFormats.count))
            + response.columnFormats.flatMap { int16($0.rawValue) }
    }

    /// Fields in ascending order of their type byte, then the terminating zero.
    static func serverFields(_ fields: [PGServerField: String]) -> [UInt8] {
        fields.sorted { $0.key.rawValue < $1.key.rawValue }.flatMap { [$0.key.rawValue] + cString($0.value) } + [0]
    }

    static func ascii(_ scalar: Unicode.Scalar) -> UInt8 { UInt8(ascii: scalar) }

    static func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    static func int16(_ value: Int16) -> [UInt8] { uint16(UInt16(bitPattern: value)) }

    static func uint16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static func int32(_ value: Int32) -> [UInt8] { uint32(UInt32(bitPattern: value)) }

    static func uint32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
