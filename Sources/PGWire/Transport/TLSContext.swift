internal import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The OpenSSL client context for one connection attempt, from libpq's `ssl*` settings.
///
/// Verification follows `sslmode`: `require` checks nothing (but, as in libpq, behaves as
/// `verify-ca` when a root certificate is given), `verify-ca` checks the chain against
/// `sslrootcert`, `verify-full` also checks the host name against the certificate's names.
final class TLSContext: @unchecked Sendable {
    // @unchecked: the context is configured once in init and only read afterwards (OpenSSL's
    // SSL_CTX is safe to share once set up).
    let context: OpaquePointer
    /// Whether the host name is checked too (verify-full).
    let verifiesHost: Bool

    init(_ tls: PGConnection.Configuration.TLS) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw Self.failure("SSL_CTX_new") }
        self.context = context
        verifiesHost = tls.mode == .verifyFull
        try setProtocolVersions(tls)
        // ALPN `postgresql` on every TLS connection, as libpq 17 sends it: PostgreSQL 17 needs
        // it for direct TLS, and older servers ignore it.
        let alpn = Self.alpnProtocolList
        guard alpn.withUnsafeBufferPointer({ SSL_CTX_set_alpn_protos(context, $0.baseAddress, UInt32($0.count)) }) == 0 else {
            throw Self.failure("SSL_CTX_set_alpn_protos")
        }
        // Read-ahead: one recv takes a record's header and body and whatever follows, where
        // OpenSSL otherwise reads the 5-byte header and then the body, two system calls for
        // each answer. The read loop empties OpenSSL's buffer (SSL_has_pending counts these
        // bytes) before it ever waits on the socket, so nothing waits there unseen.
        pgwire_ssl_ctx_set_read_ahead(context, 1)
        try trustRoots(tls)
        try useClientCertificate(tls)
    }

    /// libpq's ssl_min_protocol_version and ssl_max_protocol_version.
    private func setProtocolVersions(_ tls: PGConnection.Configuration.TLS) throws {
        if let minimum = tls.minimumProtocolVersion {
            guard pgwire_ssl_ctx_set_min_proto_version(context, Self.openSSLVersion(minimum)) == 1 else {
                throw Self.failure("SSL_CTX_set_min_proto_version(\(minimum.rawValue))")
            }
        }
        if let maximum = tls.maximumProtocolVersion {
            guard pgwire_ssl_ctx_set_max_proto_version(context, Self.openSSLVersion(maximum)) == 1 else {
                throw Self.failure("SSL_CTX_set_max_proto_version(\(maximum.rawValue))")
            }
        }
    }

    /// The chain check: verify-ca and verify-full, and (libpq's rule) any mode given a root
    /// certificate, so `require` with one behaves as verify-ca.
    private func trustRoots(_ tls: PGConnection.Configuration.TLS) throws {
        guard tls.verifiesChain else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            return
        }
        switch tls.rootCertificatePath {
        case "system":
            guard SSL_CTX_set_default_verify_paths(context) == 1 else { throw Self.failure("SSL_CTX_set_default_verify_paths") }
        case let path?:
            guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                throw PGError(.tlsFailed, "could not read root certificate file \"\(path)\": \(Self.lastError())")
            }
        case nil:
            throw PGError(
                .tlsFailed,
                "sslmode=\(tls.mode.rawValue) needs a root certificate to check the server against: set sslrootcert "
                    + "(a file, or \"system\" for the system's store), or put the CA's certificate in ~/.postgresql/root.crt")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard tls.revocationListPath != nil || tls.revocationListDirectory != nil else { return }
        let store = SSL_CTX_get_cert_store(context)
        if let file = tls.revocationListPath {
            guard let lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file()), X509_load_crl_file(lookup, file, X509_FILETYPE_PEM) > 0 else {
                throw PGError(.tlsFailed, "could not read certificate revocation list \"\(file)\": \(Self.lastError())")
            }
        }
        if let folder = tls.revocationListDirectory {
            guard let lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()),
                pgwire_x509_lookup_add_dir(lookup, folder) == 1
            else {
                throw PGError(.tlsFailed, "could not use certificate revocation list folder \"\(folder)\": \(Self.lastError())")
            }
        }
        X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL))
    }

    /// sslcert, sslkey and sslpassword.
    private func useClientCertificate(_ tls: PGConnection.Configuration.TLS) throws {
        guard let certificate = tls.certificatePath else { return }
        guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
            throw PGError(.tlsFailed, "could not read client certificate file \"\(certificate)\": \(Self.lastError())")
        }
        let keyPath = tls.keyPath ?? certificate
        try ClientKeyFile.checkPermissions(keyPath)
        let key = try ClientKeyFile.load(keyPath, password: tls.keyPassword)
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(context, key) == 1 else {
            throw PGError(.tlsFailed, "could not use client key file \"\(keyPath)\": \(Self.lastError())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw PGError(.tlsFailed, "the client key \"\(keyPath)\" does not match the certificate \"\(certificate)\"")
        }
    }

    /// ALPN's wire form of the one protocol offered: its length, then `postgresql`.
    static let alpnProtocolList: [UInt8] = [UInt8(TLSContext.alpnProtocol.utf8.count)] + Array(TLSContext.alpnProtocol.utf8)
    /// The ALPN name PostgreSQL registered.
    static let alpnProtocol = "postgresql"

    private static func openSSLVersion(_ version: PGConnection.Configuration.TLSProtocolVersion) -> Int32 {
        switch version {
        case .tls1: return TLS1_VERSION
        case .tls1_1: return TLS1_1_VERSION
        case .tls1_2: return TLS1_2_VERSION
        case .tls1_3: return TLS1_3_VERSION
        }
    }

    deinit { SSL_CTX_free(context) }

    /// The tls-server-end-point channel binding data (RFC 5929): the certificate's hash with the
    /// digest of its signature algorithm, SHA-256 where that is MD5 or SHA-1.
    static func endPointHash(of certificate: OpaquePointer) throws -> [UInt8] {
        var digestNID: Int32 = 0
        guard OBJ_find_sigid_algs(X509_get_signature_nid(certificate), &digestNID, nil) == 1 else {
            throw PGError(.tlsFailed, "the server certificate's signature algorithm has no digest for channel binding")
        }
        var digest = EVP_get_digestbyname(OBJ_nid2sn(digestNID))
        if digestNID == NID_md5 || digestNID == NID_sha1 || digest == nil { digest = EVP_sha256() }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, digest, &output, &length) == 1 else { throw failure("X509_digest") }
        return Array(output.prefix(Int(length)))
    }

    /// OpenSSL's reason for the last failure on this thread.
    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        pgwire_last_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func failure(_ call: String) -> PGError {
        PGError(.tlsFailed, "\(call) failed: \(lastError())")
    }
}
