import Foundation
import Testing

@testable import PGEventStore

/// The hand-written UUID parser agrees with Foundation's on valid and invalid text.
@Suite struct UUIDTextTests {
    @Test func agreesWithFoundationOnValidIDs() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(UUIDText.parse(id.uuidString) == id)
            #expect(UUIDText.parse(id.uuidString.lowercased()) == id)
        }
        #expect(UUIDText.parse("00000000-0000-0000-0000-000000000000") == UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        #expect(UUIDText.parse("FfFfFfFf-ffff-FFFF-ffff-ffffffffffff") == UUID(uuidString: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"))
    }

    @Test func refusesWhatFoundationRefuses() {
        let bad = [
            "", "x", "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000",
            "00000000_0000-0000-0000-000000000000", "0000000-00000-0000-0000-000000000000",
            "g0000000-0000-0000-0000-000000000000", "{00000000-0000-0000-0000-000000000000}",
            "00000000-0000-0000-0000-00000000000é",
        ]
        for text in bad {
            #expect(UUIDText.parse(text) == nil, "\(text)")
            #expect(UUID(uuidString: text) == nil, "Foundation accepts \(text)")
        }
        // Random 36-byte strings over the hex alphabet and '-': the two parsers agree.
        let alphabet = Array("0123456789abcdefABCDEF-g")
        for _ in 0..<2_000 {
            let text = String((0..<36).map { _ in alphabet.randomElement()! })
            #expect(UUIDText.parse(text) == UUID(uuidString: text), "\(text)")
        }
    }
}
