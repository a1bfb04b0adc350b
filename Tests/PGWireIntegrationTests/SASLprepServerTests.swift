import Foundation
import PGTestServer
import Testing

@testable import PGWire

extension Integration {
    /// PGWire's SASLprep (with its own NFKC) against the server's `pg_saslprep`: for passwords
    /// that normalisation changes, the SCRAM verifier PostgreSQL stores for `CREATE ROLE ...
    /// PASSWORD` must hold the StoredKey and ServerKey that PGWire derives from the same
    /// password and salt, or a login with that password would fail.
    @Suite struct SASLprepServerTests {
        static let passwords: [String] = [
            "I\u{00AD}X\u{2168}",  // IXIX
            "\u{FB01}le\u{00AA}",  // file + ordinal indicator
            "e\u{0301}t\u{00E9}",  // decomposed and precomposed é
            "\u{1E9B}\u{0323}",  // UAX #15's example: U+1E69
            "\u{FF30}\u{FF41}\u{FF53}\u{FF53}",  // full-width Pass
            "\u{D55C}\u{1100}\u{1161}\u{11A8}\u{3131}",  // Hangul syllable, jamo, compatibility jamo
            "a\u{0301}\u{0323}q\u{0307}\u{0323}",  // combining marks reordered
            "\u{3300}\u{2474}\u{33A1}\u{01C4}",
            "\u{0958}x\u{212B}\u{2126}",  // a composition exclusion, singletons
            "\u{FDFA}",  // the longest decomposition (right-to-left)
            "\u{2F868}\u{2F874}\u{2F91F}\u{2F95F}\u{2F9BF}",  // decompositions fixed after Unicode 3.2
            "pass\u{00A0}word\u{3000}",  // non-ASCII spaces
            "\u{1F600}smile",  // unassigned in Unicode 3.2: the raw bytes
            "\u{0627}1",  // bidi rule broken: the raw bytes
            "scram-s\u{EB}cret \u{FC}n\u{EF}code",
        ]

        /// Passwords made of characters that have a compatibility decomposition, from NFKC's own
        /// table, a fixed pseudo-random choice.
        static func sampledPasswords(count: Int) -> [String] {
            var state: UInt64 = 0x5EED
            func next(_ bound: Int) -> Int {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((state >> 33) % UInt64(bound))
            }
            let keys = NFKC.decompositionKeys
            return (0..<count).map { _ in
                var scalars = String.UnicodeScalarView()
                for _ in 0..<(2 + next(4)) {
                    scalars.append(Unicode.Scalar(keys[next(keys.count)])!)
                    if next(3) == 0 { scalars.append(Unicode.Scalar(0x300 + UInt32(next(0x20)))!) }
                }
                return String(scalars)
            }
        }

        @Test("the server's SCRAM verifiers equal PGWire's SASLprep and keys")
        func verifiersMatchTheServers() throws {
            let server = try Integration.requireServer()
            let passwords = Self.passwords + Self.sampledPasswords(count: 150)
            let prefix = "pgw_saslprep_\(ProcessInfo.processInfo.processIdentifier)_"
            var script = "SET client_encoding = 'UTF8'; SET password_encryption = 'scram-sha-256';\n"
            for (index, password) in passwords.enumerated() {
                #expect(!password.contains("$pw$"))
                script += "CREATE ROLE \(prefix)\(index) NOLOGIN PASSWORD $pw$\(password)$pw$;\n"
            }
            script += "SELECT rolname, rolpassword FROM pg_authid WHERE rolname LIKE '\(prefix)%';\n"
            script += (0..<passwords.count).map { "DROP ROLE \(prefix)\($0);" }.joined(separator: "\n")
            let output = try server.psql(script)

            var verifiers: [Int: String] = [:]
            for line in output.split(separator: "\n") {
                let columns = line.split(separator: "|", maxSplits: 1)
                guard columns.count == 2, let index = Int(columns[0].dropFirst(prefix.count)) else { continue }
                verifiers[index] = String(columns[1])
            }
            #expect(verifiers.count == passwords.count)
            var checked = 0
            for (index, password) in passwords.enumerated() {
                // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
                let verifier = try #require(verifiers[index])
                let parts = verifier.split(whereSeparator: { $0 == "$" || $0 == ":" }).map(String.init)
                try #require(parts.count == 5 && parts[0] == "SCRAM-SHA-256", "\(verifier)")
                let iterations = try #require(Int(parts[1]))
                let salt = try #require(Data(base64Encoded: parts[2]))
                let saltedPassword = try Crypto.pbkdf2SHA256(
                    password: SASLprep.passwordBytes(password), salt: Array(salt), iterations: iterations)
                let storedKey = try Crypto.sha256(
                    Crypto.hmacSHA256(key: saltedPassword, data: Array("Client Key".utf8)))
                let serverKey = try Crypto.hmacSHA256(key: saltedPassword, data: Array("Server Key".utf8))
                let scalars = password.unicodeScalars.map { String($0.value, radix: 16) }
                #expect(Data(storedKey).base64EncodedString() == parts[3], "StoredKey of \(scalars)")
                #expect(Data(serverKey).base64EncodedString() == parts[4], "ServerKey of \(scalars)")
                checked += 1
            }
            #expect(checked == passwords.count)
        }
    }
}
