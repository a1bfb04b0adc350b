// Foundation only as a second reference (ICU's NFKC); the library does not import it.
import Foundation
import Testing

@testable import PGWire

/// PGWire's own NFKC (NFKC.swift), which SASLprep uses: known vectors, then every code point
/// assigned in Unicode 3.2 against Python's `unicodedata` (NFKCTestVectors.swift, from
/// scripts/gen-nfkc-tables.py) and against Foundation, and a set of sequences against Python.
@Suite("NFKC")
struct NFKCTests {
    private func nfkc(_ values: [UInt32]) -> [UInt32] {
        NFKC.normalize(values.map { Unicode.Scalar($0)! }).map(\.value)
    }

    private func nfkc(_ string: String) -> String { String(NFKC.normalize(string.unicodeScalars)) }

    @Test func knownVectors() {
        #expect(nfkc("\u{FB01}") == "fi")  // LATIN SMALL LIGATURE FI
        #expect(nfkc("\u{2168}") == "IX")  // ROMAN NUMERAL NINE
        #expect(nfkc("\u{00AA}") == "a")  // FEMININE ORDINAL INDICATOR
        #expect(nfkc("\u{FF21}\u{FF42}\u{FF10}") == "Ab0")  // full-width letters and digit
        #expect(nfkc("\u{2002}") == " ")  // EN SPACE
        #expect(nfkc("\u{01C4}") == "D\u{017D}")  // DŽ: compatibility, then recomposed
        #expect(nfkc("\u{2474}") == "(1)")
        #expect(nfkc("\u{33A1}") == "m2")
        #expect(nfkc("\u{3300}") == "\u{30A2}\u{30D1}\u{30FC}\u{30C8}")  // アパート, with パ recomposed
        #expect(nfkc("\u{FDFA}").unicodeScalars.count == 18)  // the longest decomposition
        // Canonical: composition, singletons, exclusions.
        #expect(nfkc("e\u{0301}") == "\u{00E9}")
        #expect(nfkc("\u{212B}") == "\u{00C5}")  // ANGSTROM SIGN
        #expect(nfkc("\u{2126}") == "\u{03A9}")  // OHM SIGN
        #expect(nfkc("\u{0958}") == "\u{0915}\u{093C}")  // excluded from composition
        #expect(nfkc("A\u{030A}\u{0301}") == "\u{01FA}")  // two steps of composition
        #expect(nfkc("\u{00C5}\u{0301}") == "\u{01FA}")
        // The classic example of UAX #15: long s with dot above, dot below.
        #expect(nfkc([0x1E9B, 0x0323]) == [0x1E69])
    }

    @Test func ordersCombiningMarks() {
        // Dot below (220) sorts before acute (230); a + dot below composes, the acute stays.
        #expect(nfkc([0x61, 0x301, 0x323]) == [0x1EA1, 0x301])
        #expect(nfkc([0x61, 0x323, 0x301]) == [0x1EA1, 0x301])
        // Nothing composes with q: only the order changes.
        #expect(nfkc([0x71, 0x307, 0x323]) == [0x71, 0x323, 0x307])
        // Equal classes keep their order (and block each other).
        #expect(nfkc([0x61, 0x301, 0x300]) == [0xE1, 0x300])
        #expect(nfkc([0x61, 0x300, 0x301]) == [0xE0, 0x301])
        // A leading non-starter stays, and its neighbours are still ordered.
        #expect(nfkc([0x301, 0x323, 0x61]) == [0x323, 0x301, 0x61])
    }

    @Test func hangul() {
        #expect(nfkc([0xD55C]) == [0xD55C])  // 한 decomposes to jamo and composes back
        #expect(nfkc([0x1112, 0x1161, 0x11AB]) == [0xD55C])
        #expect(nfkc([0x1100, 0x1161]) == [0xAC00])
        #expect(nfkc([0xAC00, 0x11A8]) == [0xAC01])  // LV + T
        #expect(nfkc([0xAC01, 0x11A8]) == [0xAC01, 0x11A8])  // LVT + T: nothing
        #expect(nfkc([0x1100, 0x0301, 0x1161]) == [0x1100, 0x0301, 0x1161])  // blocked
        #expect(nfkc([0x3131]) == [0x1100])  // HANGUL LETTER KIYEOK (compatibility jamo)
        #expect(nfkc([0x320E]) == [0x28, 0xAC00, 0x29])  // PARENTHESIZED HANGUL KIYEOK A
    }

    /// The code points assigned in Unicode 3.2 (the ones SASLprep lets through), by the standard
    /// library's data: the same set as Python's `unicodedata.ucd_3_2_0`, surrogates left out.
    private static func assignedInUnicode32() -> [Unicode.Scalar] {
        (0...0x10FFFF).compactMap { value -> Unicode.Scalar? in
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age,
                age.major < 3 || (age.major == 3 && age.minor <= 2),
                scalar.properties.generalCategory != .unassigned
            else { return nil }
            return scalar
        }
    }

    @Test func everyUnicode32CodePointAsPython() {
        let scalars = Self.assignedInUnicode32()
        #expect(scalars.count == NFKCTestVectors.assignedCount)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func add(_ value: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) {
                hash ^= UInt64((value >> UInt32(shift)) & 0xFF)
                hash = hash &* 0x100_0000_01B3
            }
        }
        for scalar in scalars {
            for value in NFKC.normalize(CollectionOfOne(scalar)) { add(value.value) }
            add(0xFFFF_FFFF)
        }
        #expect(hash == NFKCTestVectors.checksum)
    }

    @Test func everyUnicode32CodePointAsFoundation() {
        var mismatches: [String] = []
        for scalar in Self.assignedInUnicode32() {
            let string = String(scalar)
            let ours = nfkc(string)
            let reference = string.precomposedStringWithCompatibilityMapping
            if !ours.unicodeScalars.elementsEqual(reference.unicodeScalars) {
                mismatches.append(String(scalar.value, radix: 16))
            }
        }
        #expect(mismatches.isEmpty, "differ from Foundation: \(mismatches.prefix(20))")
    }

    /// Against Python only: Foundation on Linux (CoreFoundation's own normaliser, not ICU's)
    /// gets some sequences wrong, such as a Hangul LV syllable followed by a trailing jamo
    /// (U+AC00 U+11A8 stays two scalars instead of composing to U+AC01) and a mark of class 8
    /// from a compatibility decomposition (U+309C) followed by one of class 30 (put first).
    @Test func sequencesAsPython() {
        let flat = NFKCTestVectors.sequences
        var index = 0
        var count = 0
        while index < flat.count {
            let inputCount = Int(flat[index])
            let input = Array(flat[(index + 1)...(index + inputCount)])
            index += inputCount + 1
            let outputCount = Int(flat[index])
            let output = Array(flat[(index + 1)..<(index + 1 + outputCount)])
            index += outputCount + 1
            count += 1
            #expect(nfkc(input) == output, "\(input.map { String($0, radix: 16) })")
        }
        #expect(count > 800)
    }

    @Test func saslprepNormalises() {
        #expect(SASLprep.prepare("\u{1E9B}\u{0323}") == "\u{1E69}")
        #expect(SASLprep.prepare("\u{FF30}\u{FF41}\u{FF53}\u{FF53}") == "Pass")
        #expect(SASLprep.prepare("\u{D55C}\u{AD6D}\u{C5B4}") == "\u{D55C}\u{AD6D}\u{C5B4}")
        #expect(SASLprep.passwordBytes("\u{2168}") == Array("IX".utf8))
    }
}
