import Foundation
import PGWire
import Testing

extension Integration {
    @Suite struct CopyTests {
        struct Abort: Error {}

        static func makeTable(_ connection: PGConnection, _ name: String) async throws {
            try await connection.execute("""
                CREATE TEMP TABLE \(identifier: name) (
                    id int8 PRIMARY KEY, event_id uuid, name text, payload jsonb, at timestamptz, tags text[])
                """)
        }

        @Test func binaryCopyInWritesEveryRowAndCountsThem() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await Self.makeTable(connection, "copy \"quoted\" name")
            let at = PGTimestamp(year: 2026, month: 11, day: 21, hour: 12)!
            let count = try await connection.copyIn(
                table: "copy \"quoted\" name", columns: ["id", "event_id", "name", "payload", "at", "tags"]
            ) { writer in
                for id in 1...50_000 {
                    let name: String? = id % 7 == 0 ? nil : "name \(id)"
                    try await writer.writeRow(
                        id, UUID(), name, PGRawJSON(#"{"n": \#(id)}"#), at, ["a", "b\(id)"])
                }
                #expect(writer.rowCount == 50_000)
            }
            #expect(count == 50_000)
            let check = try await connection.query(
                "SELECT count(*), count(name), sum((payload->>'n')::int8), min(at), max(tags[2]) FROM \(identifier: "copy \"quoted\" name")"
            ).collect()
            let (rows, named, sum, minAt, maxTag) = try check[0].decode((Int, Int, PGNumeric, PGTimestamp, String).self)
            #expect(rows == 50_000 && named == 50_000 - 50_000 / 7)
            #expect(sum.description == "\(50_000 * 50_001 / 2)")
            #expect(minAt == at && maxTag == "b9999")
        }

        @Test func serverErrorMidCopyIsTypedAndTheConnectionSurvives() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await Self.makeTable(connection, "copy_dupe")
            let error = await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "copy_dupe", columns: ["id"]) { writer in
                    for id in 0..<200_000 { try await writer.writeRow(id % 150_000) }
                }
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState == PGSQLState.uniqueViolation)
            let rows = try await connection.query("SELECT count(*) FROM copy_dupe").collect()
            #expect(try rows[0].decode(Int.self, at: 0) == 0)
            #expect(connection.transactionStatus == .idle)
        }

        /// The last flush sends CopyDone with the last rows: a duplicate among them fails only
        /// after the copy has ended, and must still come back typed, with the connection usable.
        @Test func serverErrorInTheLastRowsAfterCopyDone() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await Self.makeTable(connection, "copy_dupe_end")
            let error = await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "copy_dupe_end", columns: ["id"]) { writer in
                    for id in 0..<20 { try await writer.writeRow(id) }
                    try await writer.writeRow(3)
                }
            }
            #expect(error?.sqlState == PGSQLState.uniqueViolation)
            #expect(connection.transactionStatus == .idle)
            let count = try await connection.copyIn(table: "copy_dupe_end", columns: ["id"]) { writer in
                for id in 0..<20 { try await writer.writeRow(id) }
            }
            #expect(count == 20)
        }

        @Test func clientAbortSendsCopyFailAndRethrows() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await Self.makeTable(connection, "copy_abort")
            await #expect(throws: Abort.self) {
                try await connection.copyIn(table: "copy_abort", columns: ["id"]) { writer in
                    for id in 0..<1000 { try await writer.writeRow(id) }
                    throw Abort()
                }
            }
            #expect(!connection.isClosed)
            let rows = try await connection.query("SELECT count(*) FROM copy_abort").collect()
            #expect(try rows[0].decode(Int.self, at: 0) == 0)
        }

        @Test func missingTableFailsBeforeAnyData() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            var bodyRan = false
            let error = await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "no_such_copy_table") { _ in bodyRan = true }
            }
            #expect(error?.sqlState == PGSQLState.undefinedTable)
            #expect(!bodyRan)
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }

        @Test func textAndCSVCopyIn() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE copy_text (id int4, note text)")
            var text = PGCopyTextEncoder()
            try text.writeRow(["1", "tab\there"])
            try text.writeRow(["2", nil])
            let textCount = try await connection.copyIn(table: "copy_text", format: .text) { writer in
                try await writer.write(text.buffer)
            }
            #expect(textCount == 2)
            let csvCount = try await connection.copyIn(table: "copy_text", format: .csv) { writer in
                try await writer.write("3,\"comma, and \"\"quote\"\"\"\n4,\n")
            }
            #expect(csvCount == 2)
            let rows = try await connection.query("SELECT id, note FROM copy_text ORDER BY id").collect()
            #expect(try rows.map { try $0.decode(String?.self, at: 1) } == ["tab\there", nil, "comma, and \"quote\"", nil])
            let wrong = await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "copy_text", format: .text) { writer in try await writer.writeRow(1) }
            }
            #expect(wrong?.code == .invalidArgument)
            #expect(!connection.isClosed)
        }

        @Test func binaryCopyOutDecodesRowsInConstantMemory() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let rows = try await connection.copyOut(
                "COPY (SELECT i::int8, md5(i::text), CASE WHEN i % 2 = 0 THEN NULL ELSE i::int4 END FROM generate_series(1, 200000) i) TO STDOUT (FORMAT binary)",
                columnTypes: [.int8, .text, .int4])
            var count = 0
            var sum = 0
            var nulls = 0
            for try await row in rows {
                count += 1
                sum += try row.decode(Int.self, at: 0)
                #expect(try row.decode(String.self, at: 1).utf8.count == 32)
                if try row.decode(Int32?.self, at: 2) == nil { nulls += 1 }
            }
            #expect(count == 200_000 && sum == 200_000 * 200_001 / 2 && nulls == 100_000)
            #expect(rows.commandTag == "COPY 200000")
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }

        @Test func textCopyOutAsChunks() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            var decoder = PGCopyTextDecoder()
            for try await chunk in try await connection.copyOut("COPY (SELECT i, 'a\tb' FROM generate_series(1, 3) i) TO STDOUT") {
                decoder.append(chunk)
            }
            var rows: [[String?]] = []
            while let row = try decoder.nextRow() { rows.append(row) }
            #expect(rows == [["1", "a\tb"], ["2", "a\tb"], ["3", "a\tb"]])
        }

        @Test func errorMidCopyOut() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            let chunks = try await connection.copyOut("COPY (SELECT 10 / (3 - i) FROM generate_series(1, 5) i) TO STDOUT")
            var received = 0
            let error = await #expect(throws: PGError.self) {
                for try await _ in chunks { received += 1 }
            }
            #expect(error?.sqlState == PGSQLState.divisionByZero)
            #expect(received == 2)
            #expect(try await connection.query("SELECT 1").collect().count == 1)
        }
    }
}
