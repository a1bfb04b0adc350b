import Testing

@_spi(Fuzzing) @testable import PGWire

private typealias W = WireBytes
private typealias C = CopyBytes

/// PGCopyBinaryDecoder: chunking, validation, errors.
@Suite("COPY binary decoder")
struct CopyBinaryDecoderTests {
    static let fields: [[[UInt8]?]] = [
        [W.int32(42), Array("hello".utf8), nil],
        [W.int32(-1), [], [0xFF, 0x00]],
        [nil, nil, Array(repeating: 0x61, count: 300)],
    ]
    static let expected = fields.map { DataRow(columns: $0) }
    static let stream = C.header + fields.flatMap { C.tuple($0) } + C.trailer

    @Test func aWholeStreamDecodesToItsRows() throws {
        var decoder = PGCopyBinaryDecoder()
        decoder.append(Self.stream)
        var rows: [DataRow] = []
        while let row = try decoder.nextRow() { rows.append(row) }
        #expect(rows == Self.expected)
        #expect(decoder.isFinished)
        #expect(decoder.rowCount == 3)
        #expect(decoder.bufferedByteCount == 0)
        try decoder.finish()
        #expect(rows[0][2] == nil)
        #expect(rows[1][1] == [])  // empty, not NULL
        #expect(rows[0].text(at: 1) == "hello")
    }

    @Test func bytesFedOneAtATimeGiveTheSameRows() throws {
        #expect(try C.decode(Self.stream, chunkSizes: [1]) == Self.expected)
    }

    @Test func everySplitIntoTwoChunksGivesTheSameRows() throws {
        for split in 1..<Self.stream.count {
            #expect(try C.decode(Self.stream, chunkSizes: [split, Int.max]) == Self.expected, "split at \(split)")
        }
    }

    @Test func oddChunkSizesGiveTheSameRows() throws {
        for sizes in [[2], [3, 5], [7, 1, 13], [19], [64, 1]] {
            #expect(try C.decode(Self.stream, chunkSizes: sizes) == Self.expected, "chunks \(sizes)")
        }
    }

    @Test func aRowSpanningChunksWaitsForItsLastByte() throws {
        let row = C.tuple([Array(repeating: 7, count: 100), nil])
        var decoder = PGCopyBinaryDecoder()
        decoder.append(C.header + row.prefix(50))
        #expect(try decoder.nextRow() == nil)
        decoder.append(row[50..<(row.count - 1)])
        #expect(try decoder.nextRow() == nil)
        #expect(decoder.bufferedByteCount == row.count - 1)
        decoder.append(row.suffix(1))
        #expect(try decoder.nextRow() == DataRow(columns: [Array(repeating: 7, count: 100), nil]))
        #expect(try decoder.nextRow() == nil)
        #expect(!decoder.isFinished)
        decoder.append(C.trailer)
        #expect(try decoder.nextRow() == nil)
        #expect(decoder.isFinished)
        try decoder.finish()
    }

    /// The server sends one CopyData message per row, the header with the first row and the
    /// trailer on its own; both append overloads must read that.
    @Test func oneRowPerChunkAsTheServerSendsIt() throws {
        let chunks = [C.header + C.tuple(Self.fields[0])] + Self.fields.dropFirst().map { C.tuple($0) } + [C.trailer]
        var arrays = PGCopyBinaryDecoder()
        var slices = PGCopyBinaryDecoder()
        var fromArrays: [DataRow] = []
        var fromSlices: [DataRow] = []
        for chunk in chunks {
            arrays.append(chunk)
            slices.append(chunk[...])
            while let row = try arrays.nextRow() { fromArrays.append(row) }
            while let row = try slices.nextRow() { fromSlices.append(row) }
        }
        #expect(fromArrays == Self.expected)
        #expect(fromSlices == Self.expected)
        try arrays.finish()
        try slices.finish()
    }

    @Test func theHeaderExtensionIsSkippedAndLowFlagBitsIgnored() throws {
        let header =
            [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00] + W.int32(0x0000_FFFF) + W.int32(5)
            + [9, 9, 9, 9, 9]
        let stream = header + C.tuple([[1]]) + C.trailer
        #expect(try C.decode(stream) == [DataRow(columns: [[1]])])
        #expect(try C.decode(stream, chunkSizes: [1]) == [DataRow(columns: [[1]])])
    }

    @Test func rowsWithoutColumnsAreRows() throws {
        let stream = C.header + C.tuple([]) + C.tuple([]) + C.trailer
        #expect(try C.decode(stream, chunkSizes: [1]) == [DataRow(columns: []), DataRow(columns: [])])
    }

    @Test func anEmptyCopyIsHeaderAndTrailer() throws {
        #expect(try C.decode(C.header + C.trailer).isEmpty)
    }

    @Test func aBadSignatureIsRejectedAtItsFirstWrongByte() throws {
        var decoder = PGCopyBinaryDecoder()
        decoder.append([0x50, 0x47, 0x44])
        let error = #expect(throws: PGError.self) { try decoder.nextRow() }
        #expect(error?.code == .protocolViolation)
        // The error sticks.
        #expect(throws: PGError.self) { try decoder.nextRow() }
        #expect(throws: PGError.self) { try decoder.finish() }

        var munged = C.header + C.trailer
        munged[8] = 0x0A  // \r\n turned into \n\n
        #expect(C.error(munged)?.code == .protocolViolation)
        #expect(C.error(Array("1\t2\n".utf8))?.code == .protocolViolation)
    }

    @Test func theOIDsFlagAndUnknownCriticalFlagsAreRejected() throws {
        for flags: Int32 in [1 << 16, 1 << 17, Int32.min] {
            var header = C.header
            header.replaceSubrange(11..<15, with: W.int32(flags))
            let error = C.error(header + C.tuple([[1]]) + C.trailer)
            #expect(error?.code == .protocolViolation, "flags \(flags)")
        }
    }

    @Test func aNegativeHeaderExtensionLengthIsRejected() throws {
        var header = C.header
        header.replaceSubrange(15..<19, with: W.int32(-1))
        #expect(C.error(header + C.trailer)?.code == .protocolViolation)
    }

    @Test func negativeLengthsOtherThanMinusOneAreRejected() throws {
        let stream = C.header + W.int16(2) + W.int32(-1) + W.int32(-2) + C.trailer
        let error = C.error(stream)
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("-2") == true)
        #expect(C.error(C.header + W.int16(1) + W.int32(Int32.min) + C.trailer)?.code == .protocolViolation)
    }

    @Test func negativeFieldCountsOtherThanTheTrailerAreRejected() throws {
        #expect(C.error(C.header + W.int16(-2) + C.trailer)?.code == .protocolViolation)
        #expect(C.error(C.header + W.int16(Int16.min))?.code == .protocolViolation)
    }

    @Test func aFieldCountDifferentFromTheFirstRowsIsRejected() throws {
        let stream = C.header + C.tuple([[1], [2]]) + C.tuple([[1]]) + C.trailer
        var decoder = PGCopyBinaryDecoder()
        decoder.append(stream)
        #expect(try decoder.nextRow() == DataRow(columns: [[1], [2]]))
        let error = #expect(throws: PGError.self) { try decoder.nextRow() }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("1 fields") == true)
    }

    @Test func bytesAfterTheTrailerAreRejected() throws {
        #expect(C.error(Self.stream + [0])?.code == .protocolViolation)
        #expect(C.error(Self.stream + C.tuple([[1]]))?.code == .protocolViolation)
        // Also when they arrive in a later chunk, after nextRow() saw the trailer.
        var decoder = PGCopyBinaryDecoder()
        decoder.append(C.header + C.trailer)
        #expect(try decoder.nextRow() == nil)
        #expect(decoder.isFinished)
        decoder.append([0xFF, 0xFF])
        #expect(throws: PGError.self) { try decoder.nextRow() }
    }

    @Test func aTruncatedStreamIsRejectedByFinish() throws {
        // Every proper prefix of the stream fails: inside the header, inside a row, or no trailer.
        for end in 0..<Self.stream.count {
            let error = C.error(Array(Self.stream[..<end]))
            #expect(error?.code == .protocolViolation, "prefix of \(end) bytes")
        }
    }

    @Test func aLengthOverTheRowLimitFailsBeforeItsBytesArrive() throws {
        var decoder = PGCopyBinaryDecoder(maximumRowByteCount: 1000)
        decoder.append(C.header + W.int16(2) + W.int32(500) + Array(repeating: 0, count: 500) + W.int32(495))
        let error = #expect(throws: PGError.self) { try decoder.nextRow() }
        #expect(error?.code == .messageTooLarge)
        // Exactly at the limit is accepted: 2 + 4 + 500 + 4 + 490 = 1000 bytes.
        let fits = C.header + C.tuple([Array(repeating: 0, count: 500), Array(repeating: 1, count: 490)]) + C.trailer
        #expect(try C.decode(fits, maximumRowByteCount: 1000).count == 1)
        #expect(C.error(fits, maximumRowByteCount: 999)?.code == .messageTooLarge)
    }

    @Test func aHugeDeclaredLengthAllocatesNothingUpFront() throws {
        var decoder = PGCopyBinaryDecoder()
        decoder.append(C.header + W.int16(1) + W.int32(1 << 29) + [1, 2, 3])
        #expect(try decoder.nextRow() == nil)
        #expect(decoder.bufferedByteCount == 2 + 4 + 3)
        #expect(throws: PGError.self) { try decoder.finish() }
    }

    @Test func theFuzzEntryPointsAcceptArbitraryInput() throws {
        // Valid streams with chunk-size prefixes, then deterministic mutations of them.
        let binary: [UInt8] = [2, 0, 4, 6] + Self.stream
        PGCopyFuzzing.decode(binary)
        let text: [UInt8] = [0, 1, 2, 3] + Array("a\t\\N\tb\\tc\n\\x41\t\\101\t\\\\\n".utf8)
        let csv: [UInt8] = [1, 1, 0, 5] + Array("a,,\"\"\n\"x\ny\",\"q\"\"\",z\n".utf8)
        PGCopyFuzzing.decodeText(text)
        PGCopyFuzzing.decodeText(csv)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        for _ in 0..<3000 {
            for input in [binary, text, csv] {
                var mutated = input
                for _ in 0...random(4) {
                    switch random(3) {
                    case 0: mutated[random(mutated.count)] = UInt8(random(256))
                    case 1: mutated.insert(UInt8(random(256)), at: random(mutated.count))
                    default: if mutated.count > 5 { mutated.remove(at: random(mutated.count)) }
                    }
                }
                if input == binary { PGCopyFuzzing.decode(mutated) } else { PGCopyFuzzing.decodeText(mutated) }
            }
        }
    }
}
