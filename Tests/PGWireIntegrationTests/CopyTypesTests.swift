import PGWire
import Testing

extension Integration {
    /// The README's rule for binary COPY ("Swift and PostgreSQL types"): values go in their
    /// own binary format, so the Swift type must match the column's.
    @Suite struct CopyTypesTests {
        @Test func binaryCopyNeedsTheColumnsExactTypes() async throws {
            let connection = try await Integration.connect()
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE TEMP TABLE copy_types (n int4, doc json, bin jsonb)")

            // An Int is 8 bytes of int8: an int4 column refuses it.
            let error = await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "copy_types", columns: ["n"]) { try await $0.writeRow(7) }
            }
            #expect(error?.sqlState == "22P03", "\(String(describing: error))")

            // Int32 for int4; the bare JSON text (a String) for json; PGRawJSON for jsonb.
            let count = try await connection.copyIn(table: "copy_types", columns: ["n", "doc", "bin"]) { writer in
                try await writer.writeRow(Int32(7), #"{"a": 1}"#, PGRawJSON(#"{"b": 2}"#))
            }
            #expect(count == 1)
            let rows = try await connection.query("SELECT n, doc::text, bin->>'b' FROM copy_types").collect()
            let (n, doc, b) = try rows[0].decode((Int32, String, String).self)
            #expect(n == 7 && doc == #"{"a": 1}"# && b == "2")

            // PGRawJSON's jsonb version byte is not JSON text: a json column refuses it.
            await #expect(throws: PGError.self) {
                try await connection.copyIn(table: "copy_types", columns: ["doc"]) { try await $0.writeRow(PGRawJSON("{}")) }
            }
            // Bound parameters are cast: an Int fits the int4 column.
            _ = try await connection.execute("INSERT INTO copy_types (n) VALUES ($1)", [8])
            let matched = try await connection.query("SELECT count(*) FROM copy_types WHERE n = $1", [8]).collect()
            #expect(try matched[0].decode(Int.self, at: 0) == 1)
        }
    }
}
