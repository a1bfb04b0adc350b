import Foundation
import PGEventStore
import PGWire
import Testing

@testable import pgevents

/// JSON checking, event lines, and the option value forms.
@Suite struct InputParsingTests {
    @Test(arguments: [
        "{}", "[]", "0", "-1.5e+3", #""a\u00e9\n""#, "true", "null", #" {"a": [1, {"b": null}], "c": "d"} "#,
    ])
    func validJSON(_ text: String) throws {
        try JSONScanner.validate(Array(text.utf8))
    }

    @Test(arguments: ["", "{", "{a:1}", "[1,]", "01", "1.", "tru", #""\x""#, "{} {}", "\"\u{01}\"", "NaN"])
    func invalidJSON(_ text: String) {
        #expect(throws: JSONScanner.Failure.self) { try JSONScanner.validate(Array(text.utf8)) }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONScanner.Failure.self) { try JSONScanner.validate(Array(deep.utf8)) }
    }

    @Test func membersKeepTheRawValueText() throws {
        let members = try JSONScanner.members(of: Array(#"{"d\u0061ta": {"n": 1.10, "big": 123456789012345678901}, "x": "y"}"#.utf8))
        #expect(members.map(\.key) == ["data", "x"])
        #expect(String(decoding: members[0].value, as: UTF8.self) == #"{"n": 1.10, "big": 123456789012345678901}"#)
    }

    @Test func eventLines() throws {
        let event = try EventInput.event(line: Array(
            #"{"stream": "ignored", "type": "T\u00e9", "data": {"a": 1}, "metadata": {"correlationId": "6f1c1a5e-3a52-4b7a-9d0e-4c1f6c1e2a10"}, "id": "0190f3b4-5c2e-7d11-8a3b-1c2d3e4f5a6b"}"#.utf8))
        #expect(event.type == "Té")
        #expect(event.data.text == #"{"a": 1}"#)
        #expect(event.id == UUID(uuidString: "0190f3b4-5c2e-7d11-8a3b-1c2d3e4f5a6b"))
        #expect(event.metadata.correlationID == UUID(uuidString: "6f1c1a5e-3a52-4b7a-9d0e-4c1f6c1e2a10"))

        for (line, problem) in [
            (#"{"data": 1}"#, "\"type\" is missing"),
            (#"{"type": "T"}"#, "\"data\" is missing"),
            (#"{"type": 5, "data": 1}"#, "\"type\" must be a string"),
            (#"{"type": "", "data": 1}"#, "event type must not be empty"),
            (#"{"type": "T", "data": 1, "id": "nope"}"#, "\"id\" \"nope\" is not a UUID"),
            (#"{"type": "T", "data": 1, "metadata": [1]}"#, "\"metadata\" must be a JSON object"),
            (#"["type"]"#, "not a JSON object"),
        ] {
            #expect(throws: EventInput.Problem.self) { try EventInput.event(line: Array(line.utf8)) }
            do {
                _ = try EventInput.event(line: Array(line.utf8))
            } catch {
                #expect(error.description.hasPrefix(problem), "\(line): \(error)")
            }
        }
    }

    @Test func optionValues() {
        #expect(ExpectedVersionArgument(argument: "any")?.value == .any)
        #expect(ExpectedVersionArgument(argument: "no-stream")?.value == .noStream)
        #expect(ExpectedVersionArgument(argument: "exists")?.value == .streamExists)
        #expect(ExpectedVersionArgument(argument: "7")?.value == .exact(7))
        #expect(ExpectedVersionArgument(argument: "-1") == nil)
        #expect(ExpectedVersionArgument(argument: "No_Stream")?.value == .noStream)
        #expect(ExpectedVersionArgument(argument: "stream-exists")?.value == .streamExists)
        #expect(ExpectedVersionArgument(argument: "no stream") == nil)
        #expect(PositionArgument(argument: "42") == .position(42))
        #expect(PositionArgument(argument: "900/42") == .place(GlobalPosition(transactionID: 900, position: 42)))
        #expect(PositionArgument(argument: "900/") == nil)
        #expect(PositionArgument(argument: "x") == nil)
    }

    @Test func timestampsAndNumbers() {
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 1_700_000_000.123456)) == "2023-11-14T22:13:20.123456Z")
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(BenchReport.grouped(1_234_567) == "1,234,567")
        #expect(BenchReport.grouped(999) == "999")
        #expect(BenchReport.fixed(1.5, 3) == "1.500")
        #expect(BenchReport.fixed(0.0456, 2) == "0.05")
    }
}
