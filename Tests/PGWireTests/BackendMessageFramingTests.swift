import Testing

@_spi(Fuzzing) @testable import PGWire

private typealias W = WireBytes

/// The decoder's framing: split input, lengths, caps, buffer management.
@Suite("Backend message framing")
struct BackendMessageFramingTests {
    /// A startup and a simple query's answer, as one stream.
    static let stream: [UInt8] =
        W.message("R", W.int32(0))
        + W.message("S", W.cString("server_version") + W.cString("17.2"))
        + W.message("K", W.int32(4242) + [1, 2, 3, 4])
        + W.message("Z", [0x49])
        + W.message("T", W.int16(1) + W.cString("n") + W.int32(0) + W.int16(0) + W.int32(23) + W.int16(4) + W.int32(-1) + W.int16(0))
        + W.message("D", W.int16(1) + W.int32(1) + [0x31])
        + W.message("D", W.int16(1) + W.int32(-1))
        + W.message("C", W.cString("SELECT 2"))
        + W.message("Z", [0x49])

    static let expected: [BackendMessage] = [
        .authentication(.ok),
        .parameterStatus(name: "server_version", value: "17.2"),
        .backendKeyData(PGBackendKeyData(processID: 4242, secretKey: [1, 2, 3, 4])),
        .readyForQuery(.idle),
        .rowDescription([
            PGColumnDescription(
                name: "n", tableOID: 0, columnAttributeNumber: 0, dataTypeOID: 23, dataTypeSize: 4, typeModifier: -1,
                format: .text)
        ]),
        .dataRow(DataRow(columns: [[0x31]])),
        .dataRow(DataRow(columns: [nil])),
        .commandComplete("SELECT 2"),
        .readyForQuery(.idle),
    ]

    @Test func severalMessagesInOneChunk() throws {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: Self.stream)
        #expect(decoder.bufferedByteCount == Self.stream.count)
        var messages: [BackendMessage] = []
        while let message = try decoder.next() { messages.append(message) }
        #expect(messages == Self.expected)
        #expect(decoder.bufferedByteCount == 0)
        #expect(try decoder.next() == nil)
    }

    @Test func bytesFedOneAtATimeYieldTheSameMessages() throws {
        var decoder = BackendMessageDecoder()
        var messages: [BackendMessage] = []
        for byte in Self.stream {
            decoder.append(contentsOf: [byte])
            while let message = try decoder.next() { messages.append(message) }
        }
        #expect(messages == Self.expected)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test(arguments: [2, 3, 5, 7, 13, 64])
    func bytesFedInChunksYieldTheSameMessages(chunk: Int) throws {
        var decoder = BackendMessageDecoder()
        var messages: [BackendMessage] = []
        var index = 0
        while index < Self.stream.count {
            let end = min(index + chunk, Self.stream.count)
            Self.stream[index..<end].withUnsafeBytes { decoder.append($0) }
            index = end
            while let message = try decoder.next() { messages.append(message) }
        }
        #expect(messages == Self.expected)
    }

    @Test func nonContiguousSequenceIsAccepted() throws {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: Self.stream.lazy.map { $0 })
        var messages: [BackendMessage] = []
        while let message = try decoder.next() { messages.append(message) }
        #expect(messages == Self.expected)
    }

    @Test func partialHeaderAndBodyWaitForMoreBytes() throws {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: [0x43, 0, 0])
        #expect(try decoder.next() == nil)
        decoder.append(contentsOf: [0, 13] + W.ascii("SELECT"))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 11)
        decoder.append(contentsOf: W.ascii(" 1") + [0, 0x5A])
        #expect(try decoder.next() == .commandComplete("SELECT 1"))
        #expect(decoder.bufferedByteCount == 1)
        #expect(try decoder.next() == nil)
    }

    // MARK: Lengths and caps

    @Test(arguments: [Int32(0), 1, 2, 3, -1, Int32.min])
    func impossibleLengthIsRejectedAtOnce(length: Int32) {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: [0x5A] + W.int32(length))
        let error = #expect(throws: PGError.self) { try decoder.next() }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("\(length)") == true)
    }

    @Test func shortMessageOverCapIsRejectedAsSoonAsTheHeaderArrives() throws {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: [0x5A] + W.int32(30_000))
        #expect(try decoder.next() == nil)

        var over = BackendMessageDecoder()
        over.append(contentsOf: [0x5A] + W.int32(30_001))
        let error = #expect(throws: PGError.self) { try over.next() }
        #expect(error?.code == .messageTooLarge)
        #expect(error?.message.contains("30001") == true)
    }

    @Test func longMessageCapIsConfigurable() throws {
        let limits = BackendMessageDecoder.Limits(maxShortMessageLength: 100, maxLongMessageLength: 1_000)
        var atCap = BackendMessageDecoder(limits: limits)
        atCap.append(contentsOf: [0x44] + W.int32(1_000))
        #expect(try atCap.next() == nil)

        var overCap = BackendMessageDecoder(limits: limits)
        overCap.append(contentsOf: [0x64] + W.int32(1_001))
        #expect(throws: PGError.self) { try overCap.next() }

        // A short type may not use the long cap.
        var shortType = BackendMessageDecoder(limits: limits)
        shortType.append(contentsOf: [0x53] + W.int32(101))
        let error = #expect(throws: PGError.self) { try shortType.next() }
        #expect(error?.code == .messageTooLarge)
        // The long cap applies to every long type, not just DataRow.
        for type in "DdTENAVt" {
            var decoder = BackendMessageDecoder(limits: limits)
            decoder.append(contentsOf: [type.asciiValue!] + W.int32(1_000))
            #expect(try decoder.next() == nil, "type \(type)")
        }
    }

    @Test func defaultLongCapIsOneGigabyte() throws {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: [0x44] + W.int32(1 << 30))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferCapacity < 1 << 20, "a declared length must not allocate by itself")
        var over = BackendMessageDecoder()
        over.append(contentsOf: [0x44] + W.int32((1 << 30) + 1))
        #expect((#expect(throws: PGError.self) { try over.next() })?.code == .messageTooLarge)
    }

    // MARK: Unknown types and state after an error

    @Test func unknownTypeIsRejectedNamedInHexAsSoonAsItsByteArrives() {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: [0x78])
        let error = #expect(throws: PGError.self) { try decoder.next() }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("0x78") == true)

        var zero = BackendMessageDecoder()
        zero.append(contentsOf: [0x00, 0, 0, 0, 4])
        #expect((#expect(throws: PGError.self) { try zero.next() })?.message.contains("0x00") == true)
    }

    @Test func decoderKeepsFailingAfterAnError() throws {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: W.message("Z", [0x49]) + [0x5A, 0, 0, 0, 2])
        #expect(try decoder.next() == .readyForQuery(.idle))
        let first = #expect(throws: PGError.self) { try decoder.next() }
        decoder.append(contentsOf: W.message("Z", [0x49]))
        let second = #expect(throws: PGError.self) { try decoder.next() }
        #expect(first != nil)
        #expect(first == second)
    }

    // MARK: writeIntoTail and buffer management

    @Test func writeIntoTailReadsStraightIntoTheBuffer() throws {
        var decoder = BackendMessageDecoder()
        var source = Self.stream[...]
        var messages: [BackendMessage] = []
        while !source.isEmpty {
            let filled = decoder.writeIntoTail(minimumCapacity: 16) { tail in
                #expect(tail.count >= 16)
                let count = min(7, tail.count, source.count)
                tail.copyBytes(from: source.prefix(count))
                source = source.dropFirst(count)
                return count
            }
            #expect(filled <= 7)
            while let message = try decoder.next() { messages.append(message) }
        }
        #expect(messages == Self.expected)
    }

    @Test func writeIntoTailThatFillsNothingOrThrowsChangesNothing() throws {
        struct ReadFailed: Error {}
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: [0x5A, 0, 0])
        #expect(decoder.writeIntoTail(minimumCapacity: 100) { _ in 0 } == 0)
        #expect(decoder.bufferedByteCount == 3)
        #expect(throws: ReadFailed.self) {
            try decoder.writeIntoTail(minimumCapacity: 100) { tail in
                tail[0] = 0xFF
                throw ReadFailed()
            }
        }
        #expect(decoder.bufferedByteCount == 3)
        decoder.append(contentsOf: [0, 5, 0x54])
        #expect(try decoder.next() == .readyForQuery(.inTransaction))
    }

    @Test func largeMessageArrivingInSmallReadsIsAssembledWithoutOvershoot() throws {
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = W.message("d", payload) + W.message("c", [])
        var decoder = BackendMessageDecoder()
        var offset = 0
        var messages: [BackendMessage] = []
        while offset < bytes.count {
            _ = decoder.writeIntoTail(minimumCapacity: 1_000) { tail in
                let count = min(1_000, tail.count, bytes.count - offset)
                tail.copyBytes(from: bytes[offset..<(offset + count)])
                offset += count
                return count
            }
            while let message = try decoder.next() { messages.append(message) }
        }
        #expect(messages == [.copyData(payload), .copyDone])
        // Growth stops at the message being assembled (type byte + length + body) plus the
        // free space asked for.
        #expect(decoder.bufferCapacity <= payload.count + 5 + 1_000)
        // Geometric growth copies each byte a bounded number of times.
        #expect(decoder.copiedByteCount <= 2 * bytes.count)
    }

    @Test func theDecoderKeepsNoLargeBufferAfterALargeMessage() throws {
        var decoder = BackendMessageDecoder()
        decoder.append(contentsOf: W.message("d", [UInt8](repeating: 7, count: 8 << 20)))
        guard case .copyData(let data)? = try decoder.next() else {
            Issue.record("no CopyData")
            return
        }
        #expect(data.count == 8 << 20)
        // The message took the buffer over (LargeMessageHandoverTests); the decoder starts small.
        #expect(decoder.bufferCapacity <= 2 << 20)
        _ = decoder.writeIntoTail(minimumCapacity: 4_096) { _ in 0 }
        #expect(decoder.bufferCapacity <= 2 << 20)
    }

    @Test func streamingManyMessagesMovesBytesLinearly() throws {
        // Messages of varied sizes, read in chunks that never line up with them.
        var stream: [UInt8] = []
        var expected: [BackendMessage] = []
        for index in 0..<20_000 {
            let row = DataRow(columns: [[UInt8](repeating: UInt8(index & 0xFF), count: index % 97)])
            stream += W.message("D", row.bytes)
            expected.append(.dataRow(row))
        }
        var decoder = BackendMessageDecoder()
        var offset = 0
        var decoded = 0
        var matches = true
        while offset < stream.count {
            _ = decoder.writeIntoTail(minimumCapacity: 1_500) { tail in
                let count = min(1_499, tail.count, stream.count - offset)
                tail.copyBytes(from: stream[offset..<(offset + count)])
                offset += count
                return count
            }
            while let message = try decoder.next() {
                matches = matches && message == expected[decoded]
                decoded += 1
            }
        }
        #expect(decoded == expected.count)
        #expect(matches)
        // Each compaction moves no more bytes than were consumed since the last one.
        #expect(decoder.copiedByteCount <= stream.count)
        #expect(decoder.bufferCapacity <= 16_384)
    }

    // MARK: Robustness

    @Test func randomAndMutatedInputNeverTraps() {
        var generator = SplitMix64(seed: 0x5EED)
        var outcomes = (messages: 0, errors: 0)
        for round in 0..<3_000 {
            var bytes = Self.stream
            if round % 3 == 0 {
                bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let position = Int(generator.next() % UInt64(bytes.count))
                    bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            var decoder = BackendMessageDecoder()
            decoder.append(contentsOf: bytes)
            do {
                while try decoder.next() != nil { outcomes.messages += 1 }
            } catch {
                outcomes.errors += 1
                #expect(error is PGError)
            }
        }
        #expect(outcomes.messages > 0)
        #expect(outcomes.errors > 0)
    }
}

/// A tiny deterministic generator for the robustness test.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
