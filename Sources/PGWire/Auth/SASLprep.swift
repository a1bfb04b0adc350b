// No Foundation: NFKC normalisation is `NFKC` (NFKC.swift, tables generated from Unicode data),
// so that a binary linking PGWire needs neither Foundation nor ICU.

/// SASLprep (RFC 4013), the password preparation of SCRAM, exactly as PostgreSQL applies it.
///
/// PostgreSQL (`pg_saslprep`, used by both the server when it stores a SCRAM verifier and by
/// libpq when it logs in) prepares the password, and when preparation fails it uses the raw
/// UTF-8 bytes instead. A client must reproduce both the preparation and the failures exactly,
/// or a non-ASCII password that works with psql fails here. ``passwordBytes(_:)`` does that:
///
/// 1. A pure ASCII password is used unchanged (even with control characters, as PostgreSQL does).
/// 2. Map: non-ASCII spaces (table C.1.2) become U+0020; "commonly mapped to nothing" characters
///    (table B.1, such as the soft hyphen and variation selectors) are removed. A password that
///    becomes empty fails.
/// 3. Prohibit: the mapped password fails if it holds a prohibited character (tables C.1.2 to
///    C.9: controls, private use, non-characters, surrogates, characters inappropriate for plain
///    text or canonical representation, display-changing and tagging characters) or a code point
///    unassigned in Unicode 3.2 (table A.1; so any character added after Unicode 3.2, such as an
///    emoji, makes the raw bytes be used).
/// 4. Bidi (RFC 3454, section 6): if it holds a right-to-left character (table D.1), it must hold
///    no left-to-right character (table D.2) and must begin and end with a right-to-left one.
/// 5. Normalise to NFKC.
///
/// Steps 3 and 4 look at the mapped password before normalisation, as PostgreSQL does (RFC 4013
/// says after); this matters for a few compatibility characters, and matching the server is
/// what counts. The tables are RFC 3454's, in `SASLprepTables.swift`.
enum SASLprep {
    /// The password bytes SCRAM uses: the SASLprep form of `password`, or its UTF-8 bytes
    /// unchanged when SASLprep fails.
    static func passwordBytes(_ password: String) -> [UInt8] {
        Array((prepare(password) ?? password).utf8)
    }

    /// The SASLprep form of `string`, or nil when SASLprep fails (PostgreSQL's rules, above).
    static func prepare(_ string: String) -> String? {
        if string.utf8.allSatisfy({ $0 < 0x80 }) { return string }

        var mapped = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            if isIn(nonASCIISpace, scalar) {
                mapped.append(" ")
            } else if !isIn(mappedToNothing, scalar) {
                mapped.append(scalar)
            }
        }
        guard let first = mapped.first, let last = mapped.last else { return nil }

        if mapped.contains(where: { isIn(prohibited, $0) || isUnassignedInUnicode32($0) }) {
            return nil
        }
        if mapped.contains(where: { isIn(randALCat, $0) }) {
            guard isIn(randALCat, first), isIn(randALCat, last),
                !mapped.contains(where: { isIn(lCat, $0) })
            else { return nil }
        }
        return String(NFKC.normalize(mapped))
    }

    /// Table A.1: not assigned in Unicode 3.2 (plus the non-characters, which table C.4
    /// prohibits anyway).
    private static func isUnassignedInUnicode32(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return true }
        return age.major > 3 || (age.major == 3 && age.minor > 2)
    }

    /// Whether `scalar` lies in one of the inclusive ranges of `table` (a flat, sorted list of
    /// low and high bounds), by binary search.
    private static func isIn(_ table: [UInt32], _ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        var low = 0
        var high = table.count / 2 - 1
        while low <= high {
            let middle = (low + high) / 2
            if value < table[2 * middle] {
                high = middle - 1
            } else if value > table[2 * middle + 1] {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }
}
