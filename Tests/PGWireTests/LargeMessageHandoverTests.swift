@_spi(Fuzzing) @testable import PGWire
import Testing

/// A message larger than the decoder keeps between messages becomes its DataRow or CopyData
/// without a second copy: the message takes over the buffer that assembled it.
@Suite struct LargeMessageHandoverTests {
    static let big = 3 << 20

    static func dataRow(_ value: [UInt8]) -> [UInt8] {
        WireBytes.message("D", WireBytes.int16(1) + WireBytes.int32(Int32(value.count)) + value)
    }

    @Test func aLargeDataRowTakesOverTheBufferAndTheNextMessageSurvives() throws {
        var decoder = BackendMessageDecoder()
        let value = (0..<Self.big).map { UInt8(truncatingIfNeeded: $0) }
        let following = WireBytes.message("C", WireBytes.cString("SELECT 1"))
        decoder.append(contentsOf: Self.dataRow(value) + following)
        let address = decoder.storageAddress
        guard case .dataRow(let row) = try decoder.next() else {
            Issue.record("no DataRow")
            return
        }
        #expect(row.bytes.withUnsafeBytes { $0.baseAddress } == address, "the row must own the assembling buffer")
        #expect(row.count == 1)
        #expect(row[0].map(Array.init) == value)
        #expect(try decoder.next() == .commandComplete("SELECT 1"))
        #expect(try decoder.next() == nil)
    }

    @Test func aLargeCopyDataTakesOverTheBufferToo() throws {
        var decoder = BackendMessageDecoder()
        let chunk = [UInt8](repeating: 7, count: Self.big)
        decoder.append(contentsOf: WireBytes.message("d", chunk))
        let address = decoder.storageAddress
        guard case .copyData(let bytes) = try decoder.next() else {
            Issue.record("no CopyData")
            return
        }
        #expect(bytes == chunk)
        #expect(bytes.withUnsafeBytes { $0.baseAddress } == address)
    }

    @Test func aLargeDataRowThatLiesAboutItsColumnsIsStillAViolation() {
        var decoder = BackendMessageDecoder()
        var body = WireBytes.int16(2) + WireBytes.int32(Int32(Self.big)) + [UInt8](repeating: 0, count: Self.big)
        body += WireBytes.int32(99)  // the second column claims 99 bytes that are not there
        decoder.append(contentsOf: WireBytes.message("D", body))
        let error = pgError { _ = try decoder.next() }
        #expect(error?.code == .protocolViolation)
    }
}
