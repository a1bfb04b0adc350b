import PGWire
import Testing

@Suite struct QuoteIdentifierTests {
    @Test(arguments: [
        ("events", "\"events\""),
        ("my \"odd\" schema", "\"my \"\"odd\"\" schema\""),
        ("", "\"\""),
        // A quote followed by a combining mark is one Character: it must still be doubled, or
        // the identifier would end there and the rest would be SQL.
        ("a\"\u{301}; DROP TABLE t; --", "\"a\"\"\u{301}; DROP TABLE t; --\""),
        ("\"\u{20DD}\"", "\"\"\"\u{20DD}\"\"\""),
    ])
    func quotesEveryDoubleQuoteScalar(name: String, expected: String) {
        let quoted = PGQuery.quoteIdentifier(name)
        #expect(Array(quoted.unicodeScalars) == Array(expected.unicodeScalars))
    }
}
