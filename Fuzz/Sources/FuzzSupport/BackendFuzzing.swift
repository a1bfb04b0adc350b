@_spi(Fuzzing) import PGWire

/// The backend message decoders: the framer and each body decoder.
///
/// Every successful decode is encoded again (``BackendEncoder``) and decoded again, and must give
/// the same message; the framer and ``BackendMessageDecoder/decodeBody(type:body:)`` must agree;
/// every error must be a ``PGError`` of the documented codes.
public enum BackendFuzzing {
    /// The framer, fed a stream whose first two bytes choose the limits (byte 0, bits 0-1) and
    /// seed the chunk sizes and feeding methods; the rest is the stream.
    ///
    /// The stream is decoded at once, then in random chunks through all three ways of feeding
    /// bytes: both must yield the same messages and end in the same error or the same
    /// incomplete remainder. Each message must consume its whole frame (at least 5 bytes, so
    /// decoding always progresses) and equal what `decodeBody` makes of that frame.
    public static func stream(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let limits = limitChoices[Int(input[0] & 3)]
        let bytes = Array(input[2...])

        var decoder = BackendMessageDecoder(limits: limits)
        decoder.append(contentsOf: bytes)
        var reference: [BackendMessage] = []
        var failure: PGError?
        var offset = 0
        while true {
            let before = decoder.bufferedByteCount
            let message: BackendMessage
            do {
                guard let next = try decoder.next() else { break }
                message = next
            } catch {
                failure = protocolError(error)
                break
            }
            let consumed = before - decoder.bufferedByteCount
            check(consumed >= 5 && consumed <= before, "a message consumed \(consumed) of \(before) bytes")
            let frame = bytes[offset..<(offset + consumed)]
            check(Int(int32(frame, at: offset + 1)) + 1 == consumed, "a message consumed \(consumed) bytes, not its frame")
            let body = Array(frame.dropFirst(5))
            let direct = body.withUnsafeBytes { try? BackendMessageDecoder.decodeBody(type: frame[offset], body: $0) }
            check(direct == message, "decodeBody disagrees with the framer on \(message)")
            roundTrip(message)
            reference.append(message)
            offset += consumed
        }

        if let failure {
            check(
                failure.code == .protocolViolation || failure.code == .messageTooLarge,
                "the framer threw \(failure)")
            check(error(of: { try decoder.next() }) == failure, "the framer did not keep throwing \(failure)")
        } else {
            check(decoder.bufferedByteCount == bytes.count - offset, "the framer lost bytes")
            let rest = bytes[offset...]
            if rest.count >= 5 {
                check(Int(int32(rest, at: offset + 1)) + 1 > rest.count, "a whole frame was left undecoded")
            }
        }

        var random = SplitMix(state: UInt64(input[0]) << 8 | UInt64(input[1]))
        var chunked = BackendMessageDecoder(limits: limits)
        var messages: [BackendMessage] = []
        var chunkedFailure: PGError?
        var position = 0
        feeding: while position < bytes.count {
            let size = min(chunkSize(&random), bytes.count - position)
            feed(&chunked, bytes[position..<(position + size)], &random)
            position += size
            while true {
                do {
                    guard let message = try chunked.next() else { break }
                    messages.append(message)
                } catch {
                    chunkedFailure = protocolError(error)
                    break feeding
                }
            }
        }
        check(messages == reference, "chunked decoding gave \(messages.count) messages, not \(reference.count)")
        check(chunkedFailure == failure, "chunked decoding ended in \(String(describing: chunkedFailure)), not \(String(describing: failure))")
        if failure == nil {
            check(chunked.bufferedByteCount == decoder.bufferedByteCount, "chunked decoding left other bytes")
        }
    }

    /// Any message type: byte 0 is the type, the rest the body.
    public static func anyBody(_ input: [UInt8]) {
        guard let type = input.first else { return }
        _ = body(type: type, Array(input.dropFirst()))
    }

    /// ErrorResponse and NoticeResponse share their field decoder: both must agree.
    public static func errorNotice(_ input: [UInt8]) {
        let error = body(type: UInt8(ascii: "E"), input)
        let notice = body(type: UInt8(ascii: "N"), input)
        switch (error, notice) {
        case (nil, nil):
            return
        case (.errorResponse(let errorFields)?, .noticeResponse(let noticeFields)?):
            check(errorFields == noticeFields, "ErrorResponse and NoticeResponse decode the same fields differently")
            check(!errorFields.keys.contains(PGServerField(rawValue: 0)), "a field with type 0")
            _ = PGError.server(errorFields).description
        default:
            fail("ErrorResponse and NoticeResponse disagree on whether the body is valid")
        }
    }

    public static func rowDescription(_ input: [UInt8]) {
        guard case .rowDescription(let columns)? = body(type: UInt8(ascii: "T"), input) else { return }
        check(columns.count * 19 <= input.count - 2, "\(columns.count) columns from \(input.count) bytes")
    }

    /// A DataRow's columns must lie inside the row and rebuild the very same row.
    public static func dataRow(_ input: [UInt8]) {
        guard case .dataRow(let row)? = body(type: UInt8(ascii: "D"), input) else { return }
        check(row.bytes == input, "a DataRow does not keep its body")
        var columns: [[UInt8]?] = []
        for index in 0..<row.count {
            columns.append(row[index].map(Array.init))
            _ = row.text(at: index)
        }
        check(DataRow(columns: columns) == row, "a DataRow's columns do not rebuild it")
    }

    public static func parameterStatus(_ input: [UInt8]) {
        _ = body(type: UInt8(ascii: "S"), input)
    }

    public static func backendKeyData(_ input: [UInt8]) {
        guard case .backendKeyData(let key)? = body(type: UInt8(ascii: "K"), input) else { return }
        check((4...256).contains(key.secretKey.count), "a secret key of \(key.secretKey.count) bytes")
    }

    public static func notification(_ input: [UInt8]) {
        _ = body(type: UInt8(ascii: "A"), input)
    }

    public static func authentication(_ input: [UInt8]) {
        guard case .authentication(let request)? = body(type: UInt8(ascii: "R"), input) else { return }
        if case .sasl(let mechanisms) = request {
            check(!mechanisms.contains(""), "an empty SASL mechanism name")
        }
    }

    /// Byte 0 picks CopyInResponse, CopyOutResponse or CopyBothResponse; the rest is the body.
    public static func copyResponse(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let type = Array("GHW".utf8)[Int(selector % 3)]
        let response: CopyResponse
        switch body(type: type, Array(input.dropFirst())) {
        case .copyInResponse(let value)?, .copyOutResponse(let value)?, .copyBothResponse(let value)?:
            response = value
        case nil:
            return
        case let other?:
            fail("a copy response decoded as \(other)")
        }
        check(response.columnFormats.count * 2 + 3 == input.count - 1, "column formats do not fill the body")
    }

    public static func negotiateProtocolVersion(_ input: [UInt8]) {
        guard case .negotiateProtocolVersion(let negotiation)? = body(type: UInt8(ascii: "v"), input) else { return }
        check((0...0xFFFF).contains(negotiation.newestMinorVersion), "minor version \(negotiation.newestMinorVersion)")
    }

    // MARK: Shared checks

    /// Decodes one body, checks it against the framer and the round trip; nil if it was rejected.
    static func body(type: UInt8, _ body: [UInt8]) -> BackendMessage? {
        let result: Result<BackendMessage, PGError> = body.withUnsafeBytes { raw in
            do {
                return .success(try BackendMessageDecoder.decodeBody(type: type, body: raw))
            } catch {
                return .failure(protocolError(error))
            }
        }
        if case .failure(let error) = result {
            check(error.code == .protocolViolation, "decodeBody threw \(error)")
        }

        // The framer, given the same body in a frame, must agree (or refuse it as too large).
        var framer = BackendMessageDecoder()
        framer.append(contentsOf: [type] + BackendEncoder.int32(Int32(body.count + 4)) + body)
        do {
            let framed = try framer.next()
            check(framed == (try? result.get()), "the framer disagrees with decodeBody")
            check(framer.bufferedByteCount == 0, "the framer left bytes of a whole frame")
        } catch {
            let error = protocolError(error)
            if error.code != .messageTooLarge {
                check(Result.failure(error) == result, "the framer threw \(error), decodeBody gave \(result)")
            }
        }

        guard case .success(let message) = result else { return nil }
        roundTrip(message)
        return message
    }

    /// Encode, decode, encode: the message comes back and the encoding is stable.
    static func roundTrip(_ message: BackendMessage) {
        let (type, body) = BackendEncoder.encode(message)
        let decoded = body.withUnsafeBytes { raw in Result { try BackendMessageDecoder.decodeBody(type: type, body: raw) } }
        guard case .success(let again) = decoded else {
            fail("cannot decode the encoding of \(message): \(decoded)")
        }
        check(again == message, "\(message) decodes as \(again) after encoding")
        check(BackendEncoder.encode(again).1 == body, "the encoding of \(message) is not stable")
    }

    static let limitChoices: [BackendMessageDecoder.Limits] = [
        .init(),
        .init(maxShortMessageLength: 16, maxLongMessageLength: 64),
        .init(maxShortMessageLength: 4, maxLongMessageLength: 300),
        .init(maxShortMessageLength: 30_000, maxLongMessageLength: 8),
    ]

    /// Mostly small chunks, sometimes large ones, sometimes none at all.
    static func chunkSize(_ random: inout SplitMix) -> Int {
        switch random.next(below: 8) {
        case 0: return 0
        case 1: return 1 + random.next(below: 4096)
        case 2: return 1
        default: return 1 + random.next(below: 16)
        }
    }

    /// Feeds a chunk through one of the three ways in: a raw buffer, a sequence without
    /// contiguous storage, or reads straight into the free tail (in pieces).
    static func feed(_ decoder: inout BackendMessageDecoder, _ chunk: ArraySlice<UInt8>, _ random: inout SplitMix) {
        switch random.next(below: 3) {
        case 0:
            chunk.withUnsafeBytes { decoder.append($0) }
        case 1:
            decoder.append(contentsOf: chunk.lazy.map { $0 })
        default:
            var rest = chunk
            repeat {
                let minimum = rest.isEmpty ? 1 : 1 + random.next(below: rest.count)
                let filled = decoder.writeIntoTail(minimumCapacity: minimum) { tail in
                    check(tail.count >= minimum, "writeIntoTail offered \(tail.count) bytes, not \(minimum)")
                    let count = min(tail.count, rest.count)
                    rest.prefix(count).withUnsafeBytes { tail.copyMemory(from: $0) }
                    return count
                }
                rest = rest.dropFirst(filled)
            } while !rest.isEmpty
        }
    }

    static func int32(_ bytes: ArraySlice<UInt8>, at index: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3]))
    }

    static func protocolError(_ error: any Error) -> PGError {
        guard let error = error as? PGError else { fail("a decoder threw \(type(of: error)): \(error)") }
        return error
    }

    static func error(of body: () throws -> BackendMessage?) -> PGError? {
        do {
            _ = try body()
            return nil
        } catch {
            return protocolError(error)
        }
    }
}
