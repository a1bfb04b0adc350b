import Foundation
import PGWire
import Testing

/// Every codec through the real server: `SELECT $1::type, $1::type::text`. The decoded value
/// must equal what was sent (our encoder and decoder agree), and the server's own text form must
/// be the expected one (the server read our bytes as we meant them).
extension Integration {
    @Suite struct CodecRoundTripTests {
        static func connect() async throws -> PGConnection {
            var configuration = try Integration.configuration()
            configuration.runtimeParameters = ["TimeZone": "UTC", "DateStyle": "ISO, YMD", "IntervalStyle": "postgres", "extra_float_digits": "1"]
            return try await PGConnection.connect(configuration)
        }

        /// Sends `value` as a parameter cast to `sqlType`; returns the decoded value and the server's text.
        static func roundTrip<T: PGCodable>(_ value: T, _ sqlType: String, on connection: PGConnection) async throws -> (T, String?) {
            let rows = try await connection.query("SELECT $1::\(sqlType), $1::\(sqlType)::text", [value]).collect()
            return (try rows[0].decode(T.self, at: 0), try rows[0].decode(String?.self, at: 1))
        }

        static func check<T: PGCodable & Equatable>(
            _ value: T, _ sqlType: String, text: String?, on connection: PGConnection,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let (decoded, serverText) = try await roundTrip(value, sqlType, on: connection)
            #expect(decoded == value, "\(sqlType): \(value)", sourceLocation: sourceLocation)
            #expect(serverText == text, "\(sqlType) text", sourceLocation: sourceLocation)
        }

        @Test func booleansAndIntegers() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            try await Self.check(true, "bool", text: "true", on: c)
            try await Self.check(false, "bool", text: "false", on: c)
            try await Self.check(Int16.min, "int2", text: "-32768", on: c)
            try await Self.check(Int16.max, "int2", text: "32767", on: c)
            try await Self.check(Int32.min, "int4", text: "-2147483648", on: c)
            try await Self.check(Int32.max, "int4", text: "2147483647", on: c)
            try await Self.check(Int64.min, "int8", text: "-9223372036854775808", on: c)
            try await Self.check(Int64.max, "int8", text: "9223372036854775807", on: c)
            try await Self.check(Int.min, "int8", text: "-9223372036854775808", on: c)
            try await Self.check(0, "int8", text: "0", on: c)
            try await Self.check(UInt32.max, "oid", text: "4294967295", on: c)
            try await Self.check(UInt32(0), "oid", text: "0", on: c)
            try await Self.check(UInt64.max, "xid8", text: "18446744073709551615", on: c)
            try await Self.check(PGTransactionID(42), "xid8", text: "42", on: c)
            // The server's own xid8 decodes too.
            let current = try await c.query("SELECT pg_current_xact_id()").collect()
            #expect(try current[0].decode(PGTransactionID.self, at: 0).rawValue > 0)
        }

        @Test func floats() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            try await Self.check(Float(1.5), "float4", text: "1.5", on: c)
            try await Self.check(Float.greatestFiniteMagnitude, "float4", text: "3.4028235e+38", on: c)
            try await Self.check(Float.infinity, "float4", text: "Infinity", on: c)
            try await Self.check(-Float.infinity, "float4", text: "-Infinity", on: c)
            try await Self.check(Double.pi, "float8", text: "3.141592653589793", on: c)
            try await Self.check(-Double.infinity, "float8", text: "-Infinity", on: c)
            try await Self.check(Double.leastNonzeroMagnitude, "float8", text: "5e-324", on: c)
            let (nan, nanText) = try await Self.roundTrip(Double.nan, "float8", on: c)
            #expect(nan.isNaN && nanText == "NaN")
            let (nan4, nan4Text) = try await Self.roundTrip(Float.nan, "float4", on: c)
            #expect(nan4.isNaN && nan4Text == "NaN")
        }

        @Test func numerics() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            let thousandDigits = String(repeating: "9876543210", count: 50) + "." + String(repeating: "0123456789", count: 50)
            for text in ["0", "0.000", "1.50", "-123.4500", "1000000", "0.0001", "-0.00000001", thousandDigits, "-" + thousandDigits, "NaN", "Infinity", "-Infinity"] {
                let value = try #require(PGNumeric(text), "\(text)")
                try await Self.check(value, "numeric", text: text, on: c)
                #expect(value.description == text)
            }
            try await Self.check(Decimal(string: "12345.678")!, "numeric", text: "12345.678", on: c)
            try await Self.check(Decimal(string: "-0.5")!, "numeric", text: "-0.5", on: c)
            // numeric decodes from the server's own computations.
            let rows = try await c.query("SELECT 2::numeric ^ 200, 1::numeric / 3").collect()
            #expect(try rows[0].decode(PGNumeric.self, at: 0).description.hasPrefix("1606938044258990275541962092341162602522202993782792835301376"))
            #expect(try rows[0].decode(PGNumeric.self, at: 1).description == "0.33333333333333333333")
        }

        @Test func strings() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            for value in ["", "plain", "multi-byte: grüße, 日本語, emoji 🐘🎉, RTL עברית", String(repeating: "long ", count: 20000)] {
                try await Self.check(value, "text", text: value, on: c)
                try await Self.check(value, "varchar", text: value, on: c)
            }
            try await Self.check("a_name", "name", text: "a_name", on: c)
            // char(n) pads; the padded value comes back.
            let (padded, _) = try await Self.roundTrip("ab", "char(4)", on: c)
            #expect(padded == "ab  ")
            // "char" (OID 18) is a single byte.
            let (single, singleText) = try await Self.roundTrip("q", "\"char\"", on: c)
            #expect(single == "q" && singleText == "q")
            let nul = await #expect(throws: PGError.self) { try await c.query("SELECT $1::text", ["a\u{0}b"]) }
            #expect(nul?.code == .invalidArgument)
        }

        @Test func byteaAndUUID() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            let bytes: [UInt8] = [0, 1, 0, 255, 0, 127, 128, 0]
            try await Self.check(bytes, "bytea", text: "\\x000100ff007f8000", on: c)
            try await Self.check([UInt8](), "bytea", text: "\\x", on: c)
            try await Self.check(Data(bytes), "bytea", text: "\\x000100ff007f8000", on: c)
            let large = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let (decoded, _) = try await Self.roundTrip(large, "bytea", on: c)
            #expect(decoded == large)
            let uuid = UUID(uuidString: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")!
            try await Self.check(uuid, "uuid", text: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", on: c)
            let generated = try await c.query("SELECT gen_random_uuid()").collect()
            #expect(try generated[0].decode(UUID.self, at: 0).uuidString.count == 36)
        }

        @Test func datesAndTimestamps() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            try await Self.check(PGDate(year: 1970, month: 1, day: 1)!, "date", text: "1970-01-01", on: c)
            try await Self.check(PGDate(year: 1899, month: 12, day: 31)!, "date", text: "1899-12-31", on: c)
            try await Self.check(PGDate(year: -4712, month: 1, day: 1)!, "date", text: "4713-01-01 BC", on: c)
            try await Self.check(PGDate(year: 9999, month: 12, day: 31)!, "date", text: "9999-12-31", on: c)
            try await Self.check(PGDate(year: 200_000, month: 2, day: 29)!, "date", text: "200000-02-29", on: c)
            try await Self.check(PGDate.infinity, "date", text: "infinity", on: c)
            try await Self.check(PGDate.negativeInfinity, "date", text: "-infinity", on: c)

            let micro = PGTimestamp(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, microsecond: 999_999)!
            try await Self.check(micro, "timestamptz", text: "2024-02-29 23:59:59.999999+00", on: c)
            try await Self.check(micro.withoutTimeZone, "timestamp", text: "2024-02-29 23:59:59.999999", on: c)
            try await Self.check(PGTimestamp(year: 1901, month: 12, day: 13, hour: 20, minute: 45, second: 52)!, "timestamptz", text: "1901-12-13 20:45:52+00", on: c)
            try await Self.check(PGTimestamp(year: 1, month: 1, day: 1)!, "timestamptz", text: "0001-01-01 00:00:00+00", on: c)
            try await Self.check(PGTimestamp(year: 294_276, month: 12, day: 31, hour: 23, minute: 59, second: 59)!, "timestamptz", text: "294276-12-31 23:59:59+00", on: c)
            try await Self.check(PGTimestamp.infinity, "timestamptz", text: "infinity", on: c)
            try await Self.check(PGTimestamp.negativeInfinity, "timestamptz", text: "-infinity", on: c)
            try await Self.check(PGLocalTimestamp.negativeInfinity, "timestamp", text: "-infinity", on: c)

            // Foundation's Date also decodes from date (midnight UTC).
            let day = try await c.query("SELECT '1969-07-20'::date").collect()
            #expect(try day[0].decode(Date.self, at: 0) == Date(timeIntervalSince1970: -14_256_000))
            let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let (decoded, text) = try await Self.roundTrip(date, "timestamptz", on: c)
            #expect(abs(decoded.timeIntervalSince(date)) < 0.000_001)
            #expect(text == "2023-11-14 22:13:20.123456+00")
            let infinite = await #expect(throws: PGError.self) {
                try await c.query("SELECT 'infinity'::timestamptz").collect()[0].decode(Date.self, at: 0)
            }
            #expect(infinite?.code == .decoding)
        }

        @Test func intervals() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            try await Self.check(PGInterval(months: 14, days: 3, microseconds: 3_723_000_004), "interval", text: "1 year 2 mons 3 days 01:02:03.000004", on: c)
            try await Self.check(PGInterval(months: -1, days: -2, microseconds: -1), "interval", text: "-1 mons -2 days -00:00:00.000001", on: c)
            try await Self.check(PGInterval(), "interval", text: "00:00:00", on: c)
            try await Self.check(PGInterval(months: Int32.max, days: Int32.max, microseconds: Int64.max - 1), "interval",
                text: "178956970 years 7 mons 2147483647 days 2562047788:00:54.775806", on: c)
        }

        struct Payload: Codable, Equatable, Sendable {
            var name: String
            var count: Int
            var tags: [String]
        }

        @Test func json() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            let payload = Payload(name: "ünï", count: 3, tags: ["a", "b"])
            let (decoded, text) = try await Self.roundTrip(PGJSON(payload), "jsonb", on: c)
            #expect(decoded.value == payload)
            #expect(text == #"{"name": "ünï", "tags": ["a", "b"], "count": 3}"#)
            let (fromJSON, _) = try await Self.roundTrip(PGJSON(payload), "jsonb", on: c)
            #expect(fromJSON.value == payload)
            let raw = PGRawJSON(#"{"b": [1, 2.5, null], "a": "x"}"#)
            let (rawBack, rawText) = try await Self.roundTrip(raw, "jsonb", on: c)
            #expect(rawText == #"{"a": "x", "b": [1, 2.5, null]}"#)
            #expect(rawBack.text == #"{"a": "x", "b": [1, 2.5, null]}"#)
            // json (not jsonb) keeps the text as sent.
            let rows = try await c.query("SELECT $1::jsonb::json", [raw]).collect()
            #expect(try rows[0].decode(PGRawJSON.self, at: 0).text == #"{"a": "x", "b": [1, 2.5, null]}"#)
            #expect(try rows[0].decode(String.self, at: 0) == #"{"a": "x", "b": [1, 2.5, null]}"#)
            let typed = try await c.query("SELECT '{\"name\":\"n\",\"count\":1,\"tags\":[]}'::json").collect()
            #expect(try typed[0].decode(PGJSON<Payload>.self, at: 0).value == Payload(name: "n", count: 1, tags: []))
        }

        @Test func arraysWithNullsAndEmpty() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            try await Self.check([true, false], "bool[]", text: "{t,f}", on: c)
            try await Self.check([Int16.min, Int16.max], "int2[]", text: "{-32768,32767}", on: c)
            try await Self.check([Int32?.some(1), nil, 3], "int4[]", text: "{1,NULL,3}", on: c)
            try await Self.check([Int64.min, 0, Int64.max], "int8[]", text: "{-9223372036854775808,0,9223372036854775807}", on: c)
            try await Self.check([Int](), "int8[]", text: "{}", on: c)
            try await Self.check([String](), "text[]", text: "{}", on: c)
            try await Self.check(["a", "b,c", "", "\"q\""], "text[]", text: #"{a,"b,c","","\"q\""}"#, on: c)
            try await Self.check([String?.none, "x"], "varchar[]", text: "{NULL,x}", on: c)
            try await Self.check([Float(1.5), -.infinity], "float4[]", text: "{1.5,-Infinity}", on: c)
            try await Self.check([2.5, Double.infinity], "float8[]", text: "{2.5,Infinity}", on: c)
            try await Self.check([PGNumeric("1.10")!, PGNumeric("NaN")!], "numeric[]", text: "{1.10,NaN}", on: c)
            try await Self.check([[UInt8]([0, 1]), []], "bytea[]", text: #"{"\\x0001","\\x"}"#, on: c)
            let uuid = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
            try await Self.check([uuid], "uuid[]", text: "{00000000-0000-0000-0000-000000000001}", on: c)
            try await Self.check([PGDate(year: 2000, month: 1, day: 1)!, .infinity], "date[]", text: "{2000-01-01,infinity}", on: c)
            try await Self.check([PGTimestamp(microsecondsSince2000: 1)], "timestamptz[]", text: #"{"2000-01-01 00:00:00.000001+00"}"#, on: c)
            try await Self.check([PGLocalTimestamp(microsecondsSince2000: 0)], "timestamp[]", text: #"{"2000-01-01 00:00:00"}"#, on: c)
            try await Self.check([PGInterval(days: 1)], "interval[]", text: #"{"1 day"}"#, on: c)
            try await Self.check([PGRawJSON("1"), PGRawJSON("{}")], "jsonb[]", text: #"{1,"{}"}"#, on: c)
            try await Self.check([UInt32(1), 2], "oid[]", text: "{1,2}", on: c)
            try await Self.check([PGTransactionID(7)], "xid8[]", text: "{7}", on: c)
            // Multi-dimensional arrays are refused with a clear error.
            let matrix = try await c.query("SELECT '{{1,2},{3,4}}'::int4[]").collect()
            let error = #expect(throws: PGError.self) { try matrix[0].decode([Int32].self, at: 0) }
            #expect(error?.code == .decoding)
        }

        @Test func nullDecodesIntoOptionalOnly() async throws {
            let c = try await Self.connect()
            defer { Task { await c.close() } }
            let none: Int32? = nil
            let rows = try await c.query("SELECT $1::int4", [none]).collect()
            #expect(try rows[0].decode(Int32?.self, at: 0) == nil)
            #expect(throws: PGError.self) { try rows[0].decode(Int32.self, at: 0) }
        }
    }
}
