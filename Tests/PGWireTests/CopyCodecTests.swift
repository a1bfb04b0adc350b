#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing

@_spi(Fuzzing) @testable import PGWire

private typealias W = WireBytes

/// Helpers for the COPY codec tests.
enum CopyBytes {
    /// `PGCOPY\n\377\r\n\0`, flags 0, no header extension.
    static let header: [UInt8] =
        [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00] + W.int32(0) + W.int32(0)

    static let trailer: [UInt8] = [0xFF, 0xFF]

    /// A tuple: field count, then each field's length (-1 for NULL) and bytes.
    static func tuple(_ fields: [[UInt8]?]) -> [UInt8] {
        var bytes = W.int16(Int16(fields.count))
        for field in fields {
            if let field { bytes += W.int32(Int32(field.count)) + field } else { bytes += W.int32(-1) }
        }
        return bytes
    }

    /// Decodes `stream` fed in chunks of the given sizes (used in turn), then calls `finish()`.
    static func decode(
        _ stream: [UInt8], chunkSizes: [Int] = [Int.max], maximumRowByteCount: Int = 1 << 30
    ) throws -> [DataRow] {
        var decoder = PGCopyBinaryDecoder(maximumRowByteCount: maximumRowByteCount)
        var rows: [DataRow] = []
        var start = 0
        var turn = 0
        while start < stream.count {
            let size = chunkSizes[turn % chunkSizes.count]
            let end = size >= stream.count - start ? stream.count : start + size
            decoder.append(Array(stream[start..<end]))
            while let row = try decoder.nextRow() { rows.append(row) }
            start = end
            turn += 1
        }
        #expect(try decoder.nextRow() == nil)
        try decoder.finish()
        return rows
    }

    /// The PGError thrown while decoding `stream` (finish included), or nil.
    static func error(_ stream: [UInt8], chunkSizes: [Int] = [Int.max], maximumRowByteCount: Int = 1 << 30) -> PGError? {
        pgError { _ = try decode(stream, chunkSizes: chunkSizes, maximumRowByteCount: maximumRowByteCount) }
    }
}

/// A value whose encoding writes some bytes and then fails.
private struct FailingValue: PGEncodable {
    var pgDataType: PGDataType { .bytea }
    func encode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: [1, 2, 3])
        throw PGError(.invalidArgument, "cannot encode this value")
    }
}

/// PGCopyRowEncoder: the bytes of binary COPY data.
@Suite("COPY binary encoder")
struct CopyCodecTests {
    @Test func headerRowAndTrailerHaveTheDocumentedBytes() throws {
        var encoder = PGCopyRowEncoder()
        encoder.writeHeader()
        try encoder.writeRow(Int32(42), "hi", String?.none)
        encoder.writeTrailer()
        let expected: [UInt8] =
            [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]
            + [0x00, 0x03]
            + [0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x2A]
            + [0x00, 0x00, 0x00, 0x02, 0x68, 0x69]
            + [0xFF, 0xFF, 0xFF, 0xFF]
            + [0xFF, 0xFF]
        #expect(encoder.buffer == expected)
        #expect(encoder.byteCount == expected.count)
        #expect(encoder.rowCount == 1)
    }

    @Test func valuesAreWrittenInTheirBinaryFormats() throws {
        let id = UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF")!
        var encoder = PGCopyRowEncoder()
        try encoder.writeRow(id, Int64(-2), true, PGRawJSON("{}"), Int16(7), "")
        let expected =
            W.int16(6)
            + W.int32(16) + [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF]
            + W.int32(8) + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
            + W.int32(1) + [0x01]
            + W.int32(3) + [0x01, 0x7B, 0x7D]  // jsonb: version byte 1, then the text
            + W.int32(2) + [0x00, 0x07]
            + W.int32(0)  // the empty string is not NULL
        #expect(encoder.buffer == expected)
    }

    @Test func nullsOfEveryShapeAreMinusOne() throws {
        var encoder = PGCopyRowEncoder()
        let nested: Int32?? = .some(.none)
        try encoder.writeRow(Int32?.none, nested, Int32?(5))
        #expect(encoder.buffer == W.int16(3) + W.int32(-1) + W.int32(-1) + W.int32(4) + W.int32(5))
    }

    @Test func theThreeWriteRowFormsGiveTheSameBytes() throws {
        var packed = PGCopyRowEncoder()
        try packed.writeRow(Int64(9), "x", Bool?.none, [UInt8]([1, 2]))
        var existential = PGCopyRowEncoder()
        try existential.writeRow([Int64(9), "x", Bool?.none, [UInt8]([1, 2])] as [any PGEncodable])
        var encoded = PGCopyRowEncoder()
        try encoded.writeRow(encodedFields: [W.int32(0) + W.int32(9), [0x78], nil, [1, 2]])
        #expect(packed.buffer == CopyBytes.tuple([W.int32(0) + W.int32(9), [0x78], nil, [1, 2]]))
        #expect(existential.buffer == packed.buffer)
        #expect(encoded.buffer == packed.buffer)
        #expect(packed.rowCount == 1 && existential.rowCount == 1 && encoded.rowCount == 1)
    }

    @Test func aTypedArrayIsOneArrayValueAndALiteralIsARow() throws {
        let tags = ["a", "b"]
        var one = PGCopyRowEncoder()
        try one.writeRow(tags)
        #expect(one.buffer.prefix(2) == [0, 1])
        #expect(one.byteCount > 2 + 4 + 2 * 5)  // text[] carries a header before its elements
        var two = PGCopyRowEncoder()
        try two.writeRow(["a", "b"])
        #expect(two.buffer == W.int16(2) + W.int32(1) + [0x61] + W.int32(1) + [0x62])
    }

    @Test func aRowThatFailsToEncodeIsRolledBack() throws {
        var encoder = PGCopyRowEncoder()
        encoder.writeHeader()
        try encoder.writeRow(Int32(1), "first")
        let before = encoder.buffer

        // A string with a NUL character throws after the earlier values were written.
        #expect(throws: PGError.self) { try encoder.writeRow(Int32(2), "a\u{0}b") }
        #expect(encoder.buffer == before)
        // A value that writes bytes before it throws.
        #expect(throws: PGError.self) { try encoder.writeRow(Int32(2), FailingValue()) }
        #expect(encoder.buffer == before)
        #expect(throws: PGError.self) { try encoder.writeRow([Int32(2), FailingValue()] as [any PGEncodable]) }
        #expect(encoder.buffer == before)
        #expect(encoder.rowCount == 1)

        try encoder.writeRow(Int32(3), "third")
        encoder.writeTrailer()
        let rows = try CopyBytes.decode(encoder.buffer)
        #expect(rows == [DataRow(columns: [W.int32(1), Array("first".utf8)]), DataRow(columns: [W.int32(3), Array("third".utf8)])])
    }

    @Test func moreThanInt16MaxFieldsIsAnError() throws {
        var encoder = PGCopyRowEncoder()
        try encoder.writeRow(encodedFields: [[UInt8]?](repeating: nil, count: 32_767))
        #expect(encoder.byteCount == 2 + 4 * 32_767)
        encoder.removeAllBytes()
        let tooMany = [[UInt8]?](repeating: nil, count: 32_768)
        #expect(throws: PGError.self) { try encoder.writeRow(encodedFields: tooMany) }
        let values = [any PGEncodable](repeating: Int32(1), count: 32_768)
        let error = #expect(throws: PGError.self) { try encoder.writeRow(values) }
        #expect(error?.code == .invalidArgument)
        #expect(encoder.byteCount == 0)
        #expect(encoder.rowCount == 1)
    }

    @Test func removeAllBytesKeepsCapacityAndRowCount() throws {
        var encoder = PGCopyRowEncoder(reservingCapacity: 4096)
        encoder.writeHeader()
        for value in 0..<10 { try encoder.writeRow(Int32(value)) }
        let capacity = encoder.buffer.capacity
        #expect(capacity >= 4096)
        encoder.removeAllBytes()
        #expect(encoder.byteCount == 0)
        #expect(encoder.rowCount == 10)
        #expect(encoder.buffer.capacity == capacity)
        try encoder.writeRow(Int32(10))
        #expect(encoder.buffer == W.int16(1) + W.int32(4) + W.int32(10))
        #expect(encoder.rowCount == 11)
    }

    @Test func encodedRowsDecodeToTheSameValues() throws {
        let id = UUID()
        var encoder = PGCopyRowEncoder()
        encoder.writeHeader()
        try encoder.writeRow(id, "stream-1", Int64(1), "Created", PGRawJSON(#"{"a":1}"#), String?.none)
        try encoder.writeRow(id, "stream-1", Int64(2), "Renamed", PGRawJSON(#"{"b":"é"}"#), "{}")
        encoder.writeTrailer()
        let rows = try CopyBytes.decode(encoder.buffer, chunkSizes: [7])
        #expect(rows.count == 2)
        #expect(try UUID.decode(from: rows[0][0]!, type: .uuid, format: .binary) == id)
        #expect(try Int64.decode(from: rows[1][2]!, type: .int8, format: .binary) == 2)
        #expect(try PGRawJSON.decode(from: rows[1][4]!, type: .jsonb, format: .binary).text == #"{"b":"é"}"#)
        #expect(rows[0][5] == nil)
        #expect(rows[1].text(at: 5) == "{}")
    }
}
