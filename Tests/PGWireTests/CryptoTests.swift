import Testing

@testable import PGWire

@Suite("Crypto (OpenSSL)")
struct CryptoTests {
    private func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test func sha256KnownVectors() throws {
        // FIPS 180-2, "abc"; and the empty message.
        #expect(
            try Crypto.sha256(Array("abc".utf8))
                == hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(
            try Crypto.sha256([UInt8]())
                == hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        // A non-contiguous collection is hashed the same way.
        #expect(try Crypto.sha256("abc".utf8) == Crypto.sha256(Array("abc".utf8)))
    }

    @Test func hmacSHA256RFC4231Case2() throws {
        let mac = try Crypto.hmacSHA256(
            key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(mac == hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
    }

    @Test func hmacSHA256EmptyKeyAndData() throws {
        // HMAC-SHA-256 with an empty key of an empty message (checked with Python's hmac).
        let mac = try Crypto.hmacSHA256(key: [UInt8](), data: [UInt8]())
        #expect(mac == hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"))
    }

    @Test func pbkdf2SHA256KnownVectors() throws {
        let password = Array("password".utf8)
        let salt = Array("salt".utf8)
        #expect(
            try Crypto.pbkdf2SHA256(password: password, salt: salt, iterations: 4096)
                == hex("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"))
        #expect(
            try Crypto.pbkdf2SHA256(password: password, salt: salt, iterations: 1)
                == hex("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"))
    }

    @Test func pbkdf2RejectsBadIterationCounts() {
        for iterations in [0, -1, Int(Int32.max) + 1] {
            let error = #expect(throws: PGError.self) {
                try Crypto.pbkdf2SHA256(password: [1], salt: [2], iterations: iterations)
            }
            #expect(error?.code == .authentication)
        }
    }

    @Test func md5Hex() throws {
        #expect(try Crypto.md5Hex([UInt8]()) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(try Crypto.md5Hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func md5PasswordHash() throws {
        // Expected values computed with Python's hashlib:
        // "md5" + md5(md5(password + user).hexdigest() + salt).hexdigest()
        #expect(
            try MD5Password.hash(user: "postgres", password: "secret", salt: [1, 2, 3, 4])
                == "md5bb41a296aab6baccb36ff243a562abff")
        #expect(
            try MD5Password.hash(
                user: "alice", password: "pässwörd", salt: [0xDE, 0xAD, 0xBE, 0xEF])
                == "md5f844ef79d5bdbe1ed21eaba5f0e4488a")
    }

    @Test func md5PasswordRejectsWrongSaltLength() {
        for salt: [UInt8] in [[], [1, 2, 3], [1, 2, 3, 4, 5]] {
            let error = #expect(throws: PGError.self) {
                try MD5Password.hash(user: "u", password: "p", salt: salt)
            }
            #expect(error?.code == .authentication)
        }
    }

    @Test func constantTimeEqual() {
        #expect(Crypto.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!Crypto.constantTimeEqual([], [0]))
        #expect(Crypto.constantTimeEqual([], []))
    }

    @Test func randomBytes() throws {
        let a = try Crypto.randomBytes(count: 32)
        let b = try Crypto.randomBytes(count: 32)
        #expect(a.count == 32)
        #expect(b.count == 32)
        #expect(a != b)
        #expect(try Crypto.randomBytes(count: 0).isEmpty)
        #expect(throws: PGError.self) { try Crypto.randomBytes(count: -1) }
    }

    @Test func hexIsLowercase() {
        #expect(Crypto.hex([0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
    }
}

@Suite("Base64")
struct Base64Tests {
    @Test func rfc4648Vectors() {
        let vectors = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test func allByteValuesRoundTrip() {
        let bytes = (0...255).map { UInt8($0) }
        for length in 0...bytes.count {
            let prefix = Array(bytes.prefix(length))
            #expect(Base64.decode(Base64.encode(prefix)) == prefix)
        }
    }

    @Test func rejectsInvalidInput() {
        for text in [
            "Zg", "Zg=", "Zm9", "Z===", "====", "Zg==Zg==", "Zm9v\n", " Zm9v", "Zm-v", "Zm_v",
            "Zh==",  // non-zero unused bits
            "Zm9=",  // non-zero unused bits
            "Z=g=", "Zm=v", "é===",
        ] {
            #expect(Base64.decode(text) == nil, "\(text)")
        }
    }
}
