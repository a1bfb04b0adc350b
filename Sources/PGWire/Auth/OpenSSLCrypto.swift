internal import COpenSSL

/// The cryptographic primitives of the auth layer, from OpenSSL 3 (libcrypto).
///
/// Every OpenSSL call of the auth layer is in this file, so no C type is seen anywhere else.
/// Only non-deprecated OpenSSL 3 functions are used: `EVP_Digest`, the one-shot `HMAC()`,
/// `PKCS5_PBKDF2_HMAC`, `RAND_bytes` and `CRYPTO_memcmp`.
///
/// A failing OpenSSL call is a thrown ``PGError`` with code ``PGError/Code/authentication``
/// that names the call and carries OpenSSL's own reason, never a trap. Such failures are rare
/// but real: a FIPS-only OpenSSL refuses MD5, and its PBKDF2 refuses short passwords.
enum Crypto {
    /// The length of a SHA-256 digest, and so of every SCRAM-SHA-256 key and signature.
    static let sha256Length = 32

    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: some Collection<UInt8>) throws -> [UInt8] {
        try digest(bytes, EVP_sha256(), name: "SHA-256")
    }

    /// HMAC-SHA-256 of `data` under `key` (RFC 2104).
    static func hmacSHA256(key: some Collection<UInt8>, data: some Collection<UInt8>) throws
        -> [UInt8]
    {
        try withBytes(key) { keyPointer, keyCount in
            guard let keyLength = Int32(exactly: keyCount) else {
                throw PGError(.authentication, "HMAC-SHA-256 key is too long")
            }
            return try withBytes(data) { dataPointer, dataCount in
                var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
                var outputLength: UInt32 = 0
                let result = output.withUnsafeMutableBufferPointer { buffer in
                    HMAC(
                        EVP_sha256(), keyPointer, keyLength, dataPointer, dataCount,
                        buffer.baseAddress, &outputLength)
                }
                guard result != nil, Int(outputLength) == sha256Length else {
                    throw failure("HMAC(SHA-256)")
                }
                return Array(output.prefix(sha256Length))
            }
        }
    }

    /// PBKDF2 with HMAC-SHA-256 (RFC 8018), deriving 32 bytes: SCRAM's `Hi(password, salt, i)`.
    static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) throws -> [UInt8] {
        guard iterations >= 1, let iterationCount = Int32(exactly: iterations) else {
            throw PGError(.authentication, "PBKDF2 iteration count \(iterations) is out of range")
        }
        guard let passwordLength = Int32(exactly: password.count),
            let saltLength = Int32(exactly: salt.count)
        else {
            throw PGError(.authentication, "PBKDF2 password or salt is too long")
        }
        var output = [UInt8](repeating: 0, count: sha256Length)
        let result = withBytes(password) { passwordPointer, _ in
            withBytes(salt) { saltPointer, _ in
                output.withUnsafeMutableBufferPointer { buffer in
                    PKCS5_PBKDF2_HMAC(
                        UnsafeRawPointer(passwordPointer).assumingMemoryBound(to: CChar.self),
                        passwordLength, saltPointer, saltLength, iterationCount, EVP_sha256(),
                        Int32(sha256Length), buffer.baseAddress)
                }
            }
        }
        guard result == 1 else { throw failure("PKCS5_PBKDF2_HMAC(SHA-256)") }
        return output
    }

    /// MD5 of `bytes` as 32 lowercase hexadecimal digits. Only for PostgreSQL's `md5` method.
    static func md5Hex(_ bytes: some Collection<UInt8>) throws -> String {
        hex(try digest(bytes, EVP_md5(), name: "MD5"))
    }

    /// `count` bytes from OpenSSL's cryptographically secure generator.
    static func randomBytes(count: Int) throws -> [UInt8] {
        guard count >= 0, let length = Int32(exactly: count) else {
            throw PGError(.authentication, "invalid random byte count \(count)")
        }
        var output = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return output }
        let result = output.withUnsafeMutableBufferPointer { buffer in
            RAND_bytes(buffer.baseAddress, length)
        }
        guard result == 1 else { throw failure("RAND_bytes") }
        return output
    }

    /// Whether `a` and `b` hold the same bytes, in time that depends only on their length.
    /// Different lengths are unequal (the length itself is not secret).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { aBuffer in
            b.withUnsafeBytes { bBuffer in
                CRYPTO_memcmp(aBuffer.baseAddress, bBuffer.baseAddress, aBuffer.count) == 0
            }
        }
    }

    /// Lowercase hexadecimal digits of `bytes`.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - Helpers

    private static func digest(
        _ bytes: some Collection<UInt8>, _ type: OpaquePointer?, name: String
    ) throws -> [UInt8] {
        try withBytes(bytes) { pointer, count in
            var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var outputLength: UInt32 = 0
            let result = output.withUnsafeMutableBufferPointer { buffer in
                EVP_Digest(pointer, count, buffer.baseAddress, &outputLength, type, nil)
            }
            guard result == 1, outputLength > 0 else { throw failure("EVP_Digest(\(name))") }
            return Array(output.prefix(Int(outputLength)))
        }
    }

    /// Calls `body` with a pointer to the bytes and their count. The pointer is never null, even
    /// for an empty collection, because some OpenSSL functions reject a null pointer of length 0.
    private static func withBytes<Result>(
        _ bytes: some Collection<UInt8>,
        _ body: (UnsafePointer<UInt8>, Int) throws -> Result
    ) rethrows -> Result {
        let contiguous = try bytes.withContiguousStorageIfAvailable { buffer in
            try buffer.baseAddress.map { try body($0, buffer.count) }
        }
        if let result = contiguous ?? nil { return result }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { return try body(base, buffer.count) }
            var placeholder: UInt8 = 0
            return try body(&placeholder, 0)
        }
    }

    /// An error naming the failed OpenSSL call and OpenSSL's reason. Clears the thread's OpenSSL
    /// error queue.
    private static func failure(_ call: String) -> PGError {
        var reason = ""
        let code = ERR_get_error()
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            reason = ": " + String(decoding: text, as: UTF8.self)
        }
        ERR_clear_error()
        return PGError(.authentication, "OpenSSL \(call) failed\(reason)")
    }
}
