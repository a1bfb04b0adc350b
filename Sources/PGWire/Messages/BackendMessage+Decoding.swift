extension BackendMessageDecoder {
    /// Decodes one message body given its type byte (used by fuzzers and tests, and by ``next()``).
    ///
    /// The body is everything after the 4 length bytes. It must be consumed exactly; any count is
    /// checked against the bytes that remain before anything is reserved for it. Strings are
    /// NUL-terminated and decoded as UTF-8, invalid sequences repaired to U+FFFD.
    public static func decodeBody(type: UInt8, body: UnsafeRawBufferPointer) throws -> BackendMessage {
        try decode(type: type, body: body)
    }

    static func decode(type: UInt8, body: UnsafeRawBufferPointer) throws(PGError) -> BackendMessage {
        if type == UInt8(ascii: "D") { return .dataRow(try decodeDataRow(body)) }
        var reader = ByteReader(body, messageType: type)
        let message: BackendMessage
        switch type {
        case UInt8(ascii: "R"): message = .authentication(try decodeAuthentication(&reader))
        case UInt8(ascii: "K"): message = .backendKeyData(try decodeBackendKeyData(&reader))
        case UInt8(ascii: "2"): message = .bindComplete
        case UInt8(ascii: "3"): message = .closeComplete
        case UInt8(ascii: "C"): message = .commandComplete(try reader.readCString("command tag"))
        case UInt8(ascii: "d"): message = .copyData(reader.readRest())
        case UInt8(ascii: "c"): message = .copyDone
        case UInt8(ascii: "G"): message = .copyInResponse(try decodeCopyResponse(&reader))
        case UInt8(ascii: "H"): message = .copyOutResponse(try decodeCopyResponse(&reader))
        case UInt8(ascii: "W"): message = .copyBothResponse(try decodeCopyResponse(&reader))
        case UInt8(ascii: "I"): message = .emptyQueryResponse
        case UInt8(ascii: "E"): message = .errorResponse(try decodeFields(&reader))
        case UInt8(ascii: "N"): message = .noticeResponse(try decodeFields(&reader))
        case UInt8(ascii: "V"): message = .functionCallResponse(try decodeFunctionCallResponse(&reader))
        case UInt8(ascii: "v"): message = .negotiateProtocolVersion(try decodeNegotiateProtocolVersion(&reader))
        case UInt8(ascii: "n"): message = .noData
        case UInt8(ascii: "A"): message = .notificationResponse(try decodeNotification(&reader))
        case UInt8(ascii: "t"): message = .parameterDescription(try decodeParameterDescription(&reader))
        case UInt8(ascii: "S"):
            let name = try reader.readCString("parameter name")
            message = .parameterStatus(name: name, value: try reader.readCString("parameter value"))
        case UInt8(ascii: "1"): message = .parseComplete
        case UInt8(ascii: "s"): message = .portalSuspended
        case UInt8(ascii: "Z"): message = .readyForQuery(try decodeTransactionStatus(&reader))
        case UInt8(ascii: "T"): message = .rowDescription(try decodeRowDescription(&reader))
        default:
            throw PGError(.protocolViolation, "unknown backend message type \(hex(type))")
        }
        try reader.expectEnd()
        return message
    }

    private static func decodeAuthentication(_ reader: inout ByteReader) throws(PGError) -> AuthenticationRequest {
        let code = try reader.readInt32("authentication code")
        switch code {
        case 0: return .ok
        case 2: return .kerberosV5
        case 3: return .cleartextPassword
        case 5:
            let salt = (
                try reader.readUInt8("salt"), try reader.readUInt8("salt"), try reader.readUInt8("salt"),
                try reader.readUInt8("salt")
            )
            return .md5Password(salt: salt)
        case 7: return .gss
        case 8: return .gssContinue(reader.readRest())
        case 9: return .sspi
        case 10:
            var mechanisms: [String] = []
            while true {
                let mechanism = try reader.readCString("SASL mechanism")
                if mechanism.isEmpty { break }
                mechanisms.append(mechanism)
            }
            return .sasl(mechanisms: mechanisms)
        case 11: return .saslContinue(reader.readRest())
        case 12: return .saslFinal(reader.readRest())
        case 6: throw reader.violation("unsupported authentication request 6 (SCM credentials)")
        default: throw reader.violation("unknown authentication request \(code)")
        }
    }

    private static func decodeBackendKeyData(_ reader: inout ByteReader) throws(PGError) -> PGBackendKeyData {
        let processID = try reader.readInt32("process ID")
        // Protocol 3.0 sends a 4-byte key; 3.2 allows 4 to 256 bytes.
        guard (4...256).contains(reader.remaining) else {
            throw reader.violation("secret key of \(reader.remaining) bytes, expected 4 to 256")
        }
        return PGBackendKeyData(processID: processID, secretKey: reader.readRest())
    }

    private static func decodeFormat(_ raw: Int16, _ reader: ByteReader) throws(PGError) -> PGFormat {
        guard let format = PGFormat(rawValue: raw) else {
            throw reader.violation("invalid format code \(raw)")
        }
        return format
    }

    private static func decodeCopyResponse(_ reader: inout ByteReader) throws(PGError) -> CopyResponse {
        let overall = try reader.readUInt8("overall format")
        guard let format = PGFormat(rawValue: Int16(overall)) else {
            throw reader.violation("invalid overall format \(overall)")
        }
        let count = try reader.readCount16("column count")
        guard count * 2 == reader.remaining else {
            throw reader.violation("\(count) column formats in \(reader.remaining) bytes")
        }
        var formats: [PGFormat] = []
        formats.reserveCapacity(count)
        for _ in 0..<count {
            formats.append(try decodeFormat(try reader.readInt16("column format"), reader))
        }
        return CopyResponse(format: format, columnFormats: formats)
    }

    /// The fields of an ErrorResponse or NoticeResponse: a type byte and a string each, ended by a
    /// zero byte. A field type repeated keeps the last value.
    private static func decodeFields(_ reader: inout ByteReader) throws(PGError) -> [PGServerField: String] {
        var fields: [PGServerField: String] = [:]
        while true {
            let code = try reader.readUInt8("field type")
            if code == 0 { return fields }
            fields[PGServerField(rawValue: code)] = try reader.readCString("field value")
        }
    }

    private static func decodeFunctionCallResponse(_ reader: inout ByteReader) throws(PGError) -> [UInt8]? {
        let length = try reader.readInt32("result length")
        if length == -1 { return nil }
        return try reader.readBytes(Int(length), "result value")
    }

    private static func decodeNegotiateProtocolVersion(
        _ reader: inout ByteReader
    ) throws(PGError) -> PGProtocolNegotiation {
        // The protocol documentation calls this the newest minor version, but servers send the
        // whole version code (major << 16 | minor: 196608 for 3.0), as libpq expects. Keep the
        // minor part either way.
        let version = try reader.readInt32("newest protocol version")
        let minor = version & 0xFFFF
        let count = try reader.readInt32("option count")
        // Each option name takes at least its NUL terminator.
        guard count >= 0, Int(count) <= reader.remaining else {
            throw reader.violation("option count \(count) with \(reader.remaining) bytes left")
        }
        var options: [String] = []
        options.reserveCapacity(Int(count))
        for _ in 0..<count { options.append(try reader.readCString("option name")) }
        return PGProtocolNegotiation(newestMinorVersion: minor, unrecognizedOptions: options)
    }

    private static func decodeNotification(_ reader: inout ByteReader) throws(PGError) -> PGNotification {
        let processID = try reader.readInt32("process ID")
        let channel = try reader.readCString("channel")
        return PGNotification(processID: processID, channel: channel, payload: try reader.readCString("payload"))
    }

    /// The count is read as unsigned: the server accepts up to 65,535 parameters and writes
    /// their number into this Int16 field unchanged.
    private static func decodeParameterDescription(_ reader: inout ByteReader) throws(PGError) -> [UInt32] {
        let count = Int(try reader.readUInt16("parameter count"))
        guard count * 4 == reader.remaining else {
            throw reader.violation("\(count) parameter types in \(reader.remaining) bytes")
        }
        var oids: [UInt32] = []
        oids.reserveCapacity(count)
        for _ in 0..<count { oids.append(try reader.readUInt32("parameter type")) }
        return oids
    }

    private static func decodeTransactionStatus(_ reader: inout ByteReader) throws(PGError) -> PGTransactionStatus {
        let byte = try reader.readUInt8("transaction status")
        guard let status = PGTransactionStatus(rawValue: byte) else {
            throw reader.violation("invalid transaction status \(hex(byte))")
        }
        return status
    }

    /// Each column takes at least 19 bytes: an empty name's NUL, then 4+2+4+2+4+2 bytes.
    private static let minimumColumnDescriptionSize = 19

    private static func decodeRowDescription(_ reader: inout ByteReader) throws(PGError) -> [PGColumnDescription] {
        let count = try reader.readCount16("column count")
        guard count <= reader.remaining / minimumColumnDescriptionSize else {
            throw reader.violation("\(count) columns cannot fit in \(reader.remaining) bytes")
        }
        var columns: [PGColumnDescription] = []
        columns.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.readCString("column name")
            let tableOID = try reader.readUInt32("table OID")
            let attribute = try reader.readInt16("column attribute number")
            let typeOID = try reader.readUInt32("type OID")
            let size = try reader.readInt16("type size")
            let modifier = try reader.readInt32("type modifier")
            let format = try decodeFormat(try reader.readInt16("format code"), reader)
            columns.append(
                PGColumnDescription(
                    name: name, tableOID: tableOID, columnAttributeNumber: attribute, dataTypeOID: typeOID,
                    dataTypeSize: size, typeModifier: modifier, format: format))
        }
        return columns
    }
}
