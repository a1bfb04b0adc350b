/// Entry points for fuzzers: COPY data decoded in chunks. Import with `@_spi(Fuzzing) import PGWire`.
///
/// The decoders must never trap; a decoding error is a normal outcome. Each input is decoded
/// twice, fed whole and fed in chunks, and both must give the same rows and the same success or
/// failure; every row decoded must then survive a round trip through the matching encoder. A
/// difference traps, so that the fuzzer reports it.
@_spi(Fuzzing)
public enum PGCopyFuzzing {
    /// Binary COPY data. Input layout: byte 0 says how many of the next bytes (1 to 8) give the
    /// chunk sizes (each byte + 1, used in turn); the rest is the stream.
    public static func decode(_ input: [UInt8]) {
        guard let (sizes, stream) = split(input) else { return }
        let whole = decodeBinary(stream, chunkSizes: [stream.count])
        let chunked = decodeBinary(stream, chunkSizes: sizes)
        if whole.rows != chunked.rows || whole.failed != chunked.failed {
            fatalError("binary COPY: whole \(whole), chunked by \(sizes) \(chunked)")
        }
        guard !whole.failed, !whole.rows.isEmpty else { return }
        var encoder = PGCopyRowEncoder()
        encoder.writeHeader()
        for row in whole.rows {
            do {
                try encoder.writeRow(encodedFields: (0..<row.count).map { row[$0].map(Array.init) })
            } catch {
                fatalError("binary COPY: cannot encode a decoded row: \(error)")
            }
        }
        encoder.writeTrailer()
        let again = decodeBinary(encoder.buffer, chunkSizes: [encoder.byteCount])
        if again.failed || again.rows != whole.rows {
            fatalError("binary COPY: \(whole.rows) re-encoded decodes as \(again)")
        }
    }

    /// Text (byte 0 even) or CSV (odd) COPY data; then the layout of ``decode(_:)``.
    public static func decodeText(_ input: [UInt8]) {
        guard let format = input.first, let (sizes, stream) = split(Array(input.dropFirst())) else { return }
        let csv = format & 1 == 1
        let whole = decodeText(stream, chunkSizes: [stream.count], csv: csv)
        let chunked = decodeText(stream, chunkSizes: sizes, csv: csv)
        if whole.rows != chunked.rows || whole.failed != chunked.failed {
            fatalError("\(csv ? "CSV" : "text") COPY: whole \(whole), chunked by \(sizes) \(chunked)")
        }
        var bytes: [UInt8] = []
        do {
            if csv {
                var encoder = PGCopyCSVEncoder()
                for row in whole.rows { try encoder.writeRow(row) }
                bytes = encoder.buffer
            } else {
                var encoder = PGCopyTextEncoder()
                for row in whole.rows { try encoder.writeRow(row) }
                bytes = encoder.buffer
            }
        } catch {
            return  // a NUL character (from an escape such as \0), which COPY FROM rejects too
        }
        let again = decodeText(bytes, chunkSizes: [bytes.count], csv: csv)
        if again.failed || again.rows != whole.rows {
            fatalError("\(csv ? "CSV" : "text") COPY: \(whole.rows) re-encoded decodes as \(again)")
        }
    }

    private static func split(_ input: [UInt8]) -> ([Int], [UInt8])? {
        guard let first = input.first else { return nil }
        let count = Int(first % 8) + 1
        guard input.count > count else { return nil }
        return (input[1...count].map { Int($0) + 1 }, Array(input[(count + 1)...]))
    }

    private struct Outcome<Row: Equatable>: CustomStringConvertible {
        var rows: [Row] = []
        var failed = false
        var description: String { "\(rows.count) rows\(failed ? ", failed" : "")" }
    }

    private static func chunks(_ stream: [UInt8], _ sizes: [Int]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        var turn = 0
        while start < stream.count {
            let end = Swift.min(stream.count, start + Swift.max(sizes[turn % sizes.count], 1))
            result.append(stream[start..<end])
            start = end
            turn += 1
        }
        return result
    }

    private static func decodeBinary(_ stream: [UInt8], chunkSizes: [Int]) -> Outcome<DataRow> {
        var decoder = PGCopyBinaryDecoder(maximumRowByteCount: 1 << 16)
        var outcome = Outcome<DataRow>()
        do {
            for (turn, chunk) in chunks(stream, chunkSizes).enumerated() {
                // Alternate the two ways in, so that both are exercised.
                if turn % 2 == 0 { decoder.append(Array(chunk)) } else { decoder.append(chunk) }
                while let row = try decoder.nextRow() { outcome.rows.append(row) }
            }
            try decoder.finish()
        } catch {
            outcome.failed = true
        }
        return outcome
    }

    private static func decodeText(_ stream: [UInt8], chunkSizes: [Int], csv: Bool) -> Outcome<[String?]> {
        var outcome = Outcome<[String?]>()
        do {
            if csv {
                var decoder = PGCopyCSVDecoder()
                for chunk in chunks(stream, chunkSizes) {
                    decoder.append(chunk)
                    while let row = try decoder.nextRow() { outcome.rows.append(row) }
                }
                try decoder.finish()
            } else {
                var decoder = PGCopyTextDecoder()
                for chunk in chunks(stream, chunkSizes) {
                    decoder.append(chunk)
                    while let row = try decoder.nextRow() { outcome.rows.append(row) }
                }
                try decoder.finish()
            }
        } catch {
            outcome.failed = true
        }
        return outcome
    }
}
