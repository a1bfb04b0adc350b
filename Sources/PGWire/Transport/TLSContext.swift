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
        let rootCertificate = tls.rootCertificatePath
        verifiesHost = tls.mode == .verifyFull
        // The chain is checked by verify-ca and verify-full, and (libpq's rule) by require when
        // a root certificate is given.
        let verifiesChain = verifiesHost || tls.mode == .verifyCA || (tls.mode == .require && rootCertificate != nil)
        // TLS 1.2 at least, as libpq's ssl_min_protocol_version defaults to.
        guard pgwire_ssl_ctx_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw Self.failure("SSL_CTX_set_min_proto_version")
        }
        if verifiesChain {
            if rootCertificate == "system" {
                guard SSL_CTX_set_default_verify_paths(context) == 1 else { throw Self.failure("SSL_CTX_set_default_verify_paths") }
            } else if let rootCertificate {
                guard SSL_CTX_load_verify_locations(context, rootCertificate, nil) == 1 else {
                    throw PGError(.tlsFailed, "could not read root certificate file \"\(rootCertificate)\": \(Self.lastError())")
                }
            } else {
                throw PGError(
                    .tlsFailed,
                    "sslmode=\(tls.mode.rawValue) needs a root certificate to check the server against: set sslrootcert "
                        + "(a file, or \"system\" for the system's store)")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        if let certificate = tls.certificatePath {
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw PGError(.tlsFailed, "could not read client certificate file \"\(certificate)\": \(Self.lastError())")
            }
            let key = tls.keyPath ?? certificate
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw PGError(.tlsFailed, "could not read client key file \"\(key)\": \(Self.lastError())")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw PGError(.tlsFailed, "the client key \"\(key)\" does not match the certificate \"\(certificate)\"")
            }
        }
        if let revocationList = tls.revocationListPath {
            let store = SSL_CTX_get_cert_store(context)
            guard let lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file()),
                X509_load_crl_file(lookup, revocationList, X509_FILETYPE_PEM) > 0
            else {
                throw PGError(.tlsFailed, "could not read certificate revocation list \"\(revocationList)\": \(Self.lastError())")
            }
            X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL))
        }
    }

    deinit { SSL_CTX_free(context) }

    /// True for a numeric IPv4 or IPv6 address (checked against the certificate's IP entries,
    /// never sent as SNI).
    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

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
        let code = ERR_get_error()
        guard code != 0 else { return "no reason given" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func failure(_ call: String) -> PGError {
        PGError(.tlsFailed, "\(call) failed: \(lastError())")
    }
}
