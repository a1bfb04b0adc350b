import Testing

@_spi(Fuzzing) @testable import PGWire

/// What one flush of a COPY FROM STDIN puts on the wire (CopyInFraming).
@Suite("COPY FROM STDIN framing")
struct CopyInFramingTests {
    @Test func aFlushMidCopyIsOneCopyDataMessage() throws {
        var encoder = FrontendMessageEncoder()
        CopyInFraming.append([1, 2, 3], final: false, to: &encoder)
        #expect(try WireBytes.decodeAll(encoder.buffer) == [.copyData([1, 2, 3])])
    }

    @Test func theLastFlushCarriesCopyDoneInTheSameBuffer() throws {
        var encoder = FrontendMessageEncoder()
        CopyInFraming.append([4, 5], final: true, to: &encoder)
        #expect(try WireBytes.decodeAll(encoder.buffer) == [.copyData([4, 5]), .copyDone])
    }

    @Test func nothingLeftToSendStillEndsTheCopy() throws {
        var encoder = FrontendMessageEncoder()
        CopyInFraming.append([], final: true, to: &encoder)
        #expect(try WireBytes.decodeAll(encoder.buffer) == [.copyDone])
        var idle = FrontendMessageEncoder()
        CopyInFraming.append([], final: false, to: &idle)
        #expect(idle.buffer.isEmpty)
    }

    /// The threshold bounds the client's buffer and makes the server start early: a 1,000-row
    /// batch of the append benchmark (~280 KB) must go out in several messages, and each
    /// message must stay far below the server's 1 GB message limit.
    @Test func theDefaultThresholdCutsABatchIntoSeveralMessages() {
        let batch = 280 * 1000
        #expect(batch / CopyInFraming.defaultFlushThreshold >= 4)
        #expect(CopyInFraming.defaultFlushThreshold <= FrontendMessageEncoder.maxCopyDataChunk)
    }
}
