/// PostgreSQL's `md5` password method (AuthenticationMD5Password, request code 5).
///
/// The client answers with `"md5" + md5hex(md5hex(password + user) + salt)`, where `salt` is the
/// four raw bytes from the server and `md5hex` is 32 lowercase hexadecimal digits. The inner hash
/// is what PostgreSQL stores for an MD5 role (behind its own `md5` prefix).
///
/// MD5 is weak and deprecated by PostgreSQL 18; prefer SCRAM-SHA-256. A FIPS-only OpenSSL
/// refuses MD5, which surfaces here as a thrown ``PGError`` with code
/// ``PGError/Code/authentication``.
enum MD5Password {
    /// The password to send in a PasswordMessage (without its terminating NUL): `md5` and 32
    /// lowercase hexadecimal digits. `salt` must be the 4 bytes of the request.
    static func hash(user: String, password: String, salt: [UInt8]) throws -> String {
        guard salt.count == 4 else {
            throw PGError(.authentication, "MD5 salt must be 4 bytes, not \(salt.count)")
        }
        let inner = try Crypto.md5Hex(Array(password.utf8) + Array(user.utf8))
        return "md5" + (try Crypto.md5Hex(Array(inner.utf8) + salt))
    }
}
