internal import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The client's private key file (`sslkey`): libpq's permission rule, and loading with
/// `sslpassword` when the key is encrypted.
enum ClientKeyFile {
    /// libpq's rule for a key file: owned by the current user, no access for group or others
    /// (0600 or less); owned by root, group may read (0640 or less). Another owner's file is
    /// the system's business and is not checked.
    static func checkPermissions(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw PGError(.tlsFailed, "could not open client key file \"\(path)\": \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw PGError(.tlsFailed, "client key file \"\(path)\" is not a regular file")
        }
        let mode = status.st_mode
        if status.st_uid == geteuid(), mode & (S_IRWXG | S_IRWXO) != 0 {
            throw PGError(
                .tlsFailed,
                "client key file \"\(path)\" has group or world access (mode \(String(mode & 0o777, radix: 8))); "
                    + "it must have permissions u=rw (0600) or less when owned by the current user")
        }
        if status.st_uid == 0, mode & (S_IWGRP | S_IXGRP | S_IRWXO) != 0 {
            throw PGError(
                .tlsFailed,
                "client key file \"\(path)\" has too wide access (mode \(String(mode & 0o777, radix: 8))); "
                    + "it must have permissions u=rw,g=r (0640) or less when owned by root")
        }
    }

    /// What the passphrase callback saw, shared with it through its user-data pointer.
    private final class Passphrase {
        let bytes: [UInt8]?
        var asked = false
        init(_ text: String?) { bytes = text.map { Array($0.utf8) } }
    }

    /// Reads the PEM key at `path`, decrypting it with `password` when it is encrypted.
    /// OpenSSL would prompt on the terminal for a missing passphrase; the callback here never
    /// does, so an encrypted key without `sslpassword` fails with a message saying so.
    /// - Returns: a key the caller frees with `EVP_PKEY_free`.
    static func load(_ path: String, password: String?) throws -> OpaquePointer {
        guard let file = BIO_new_file(path, "r") else {
            throw PGError(.tlsFailed, "could not open client key file \"\(path)\": \(TLSContext.lastError())")
        }
        defer { BIO_free(file) }
        let passphrase = Passphrase(password)
        let key = withExtendedLifetime(passphrase) {
            PEM_read_bio_PrivateKey(file, nil, { buffer, size, _, userData in
                guard let buffer, let userData else { return -1 }
                let passphrase = Unmanaged<Passphrase>.fromOpaque(userData).takeUnretainedValue()
                passphrase.asked = true
                guard let bytes = passphrase.bytes, bytes.count <= Int(size) else { return -1 }
                bytes.withUnsafeBytes { raw in
                    buffer.withMemoryRebound(to: UInt8.self, capacity: Int(size)) { $0.update(from: raw.bindMemory(to: UInt8.self).baseAddress!, count: bytes.count) }
                }
                return Int32(bytes.count)
            }, Unmanaged.passUnretained(passphrase).toOpaque())
        }
        guard let key else {
            if passphrase.asked {
                let reason = password == nil
                    ? "it is encrypted and no sslpassword was given"
                    : "it is encrypted and sslpassword does not decrypt it"
                ERR_clear_error()
                throw PGError(.tlsFailed, "could not load client key file \"\(path)\": \(reason)")
            }
            throw PGError(.tlsFailed, "could not load client key file \"\(path)\": \(TLSContext.lastError())")
        }
        return key
    }
}
