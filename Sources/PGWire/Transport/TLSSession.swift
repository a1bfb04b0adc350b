internal import COpenSSL

/// One TLS session on a connection's own non-blocking socket, through OpenSSL.
///
/// Every OpenSSL call of the transport is in this file and `TLSContext.swift`, so no C type is
/// seen elsewhere. OpenSSL reads and writes the descriptor itself; it never blocks (the socket
/// is non-blocking) and says what it waits for instead (`SSL_ERROR_WANT_READ` or
/// `SSL_ERROR_WANT_WRITE`), which the driver turns into a poller wait on the caller's task,
/// as it does for plaintext reads and writes: no extra thread, no thread hop.
final class TLSSession: @unchecked Sendable {
    // @unchecked: the SSL object is used by one reader and one writer at a time, serialised
    // by the connection's read queue and send lock, as the socket itself is.
    private let ssl: OpaquePointer

    /// What an operation that could not finish now waits for.
    enum Want: Equatable {
        case readable, writable
    }

    /// The outcome of one non-blocking TLS operation.
    enum Step: Equatable {
        case done(Int)
        case wouldBlock(Want)
    }

    init(context: TLSContext, fd: Int32, serverName: String?) throws {
        guard let ssl = SSL_new(context.context) else { throw TLSContext.failure("SSL_new") }
        self.ssl = ssl
        guard let method = Self.socketMethod, pgwire_ssl_set_socket(ssl, method, fd) == 1 else {
            throw TLSContext.failure("BIO_new")
        }
        SSL_set_connect_state(ssl)
        if let serverName, !SystemFiles.isNumericAddress(serverName) {
            // SNI carries a host name only, never an address (RFC 6066).
            guard pgwire_ssl_set_tlsext_host_name(ssl, serverName) == 1 else {
                throw TLSContext.failure("SSL_set_tlsext_host_name")
            }
        }
    }

    deinit { SSL_free(ssl) }

    /// The socket BIO that writes with MSG_NOSIGNAL (see the COpenSSL shim), made once.
    // nonisolated(unsafe): built once by the lazy global's initialiser, then only read, and
    // OpenSSL never changes a BIO_METHOD after it is set up.
    nonisolated(unsafe) private static let socketMethod: OpaquePointer? = pgwire_make_socket_bio_method()

    /// One step of the handshake.
    func handshake() throws -> Step {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(0) }
        return try blocked(result, "TLS handshake")
    }

    /// Reads into `buffer`: `.done(0)` is the peer's clean close.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Step {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .done(0) }
        ERR_clear_error()
        var count = 0
        let result = SSL_read_ex(ssl, base, buffer.count, &count)
        if result == 1 { return .done(count) }
        if SSL_get_error(ssl, result) == SSL_ERROR_ZERO_RETURN { return .done(0) }
        return try blocked(result, "TLS read")
    }

    /// Writes from `bytes`; may write less than all.
    func write(_ bytes: UnsafeRawBufferPointer) throws -> Step {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return .done(0) }
        ERR_clear_error()
        var count = 0
        let result = SSL_write_ex(ssl, base, bytes.count, &count)
        if result == 1 { return .done(count) }
        return try blocked(result, "TLS write")
    }

    /// Decrypted bytes OpenSSL holds that the socket's readiness cannot show.
    var hasPending: Bool { SSL_has_pending(ssl) == 1 }

    /// The protocol ALPN settled on, nil when the server chose none.
    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The TLS version in use, as OpenSSL names it (`TLSv1.3`).
    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The cipher suite in use (`TLS_AES_256_GCM_SHA384`).
    var cipher: String { SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "" }

    /// libpq's verify-full check, after the handshake verified the chain: `host` must match
    /// one of the certificate's DNS names (a `*` standing for one whole left-most label) or IP
    /// addresses, or its common name when it has no DNS names.
    /// - Throws: ``PGError/Code/tlsFailed`` naming the host and the names the certificate holds.
    func verifyHost(_ host: String) throws {
        guard let certificate = SSL_get1_peer_certificate(ssl) else {
            throw PGError(.tlsFailed, "the server sent no certificate to check host \"\(host)\" against")
        }
        defer { X509_free(certificate) }
        let matched = SystemFiles.isNumericAddress(host)
            ? X509_check_ip_asc(certificate, host, 0)
            : X509_check_host(certificate, host, 0, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS), nil)
        guard matched != 1 else { return }
        let names = CertificateNames(certificate).all
        let held = names.isEmpty ? "no names" : names.map { "\"\($0)\"" }.joined(separator: ", ")
        throw PGError(.tlsFailed, "server certificate does not match host name \"\(host)\": it holds \(held)")
    }

    /// The verification result of the peer's certificate, for the error message.
    var verifyError: String? {
        let code = SSL_get_verify_result(ssl)
        guard code != X509_V_OK else { return nil }
        return String(cString: X509_verify_cert_error_string(code))
    }

    /// The DER bytes of the server's certificate (for tls-server-end-point binding).
    func peerCertificateHash() throws -> [UInt8]? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        return try TLSContext.endPointHash(of: certificate)
    }

    /// Maps a failed call to what it waits for, or throws the error it is.
    private func blocked(_ result: Int32, _ what: String) throws -> Step {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wouldBlock(.readable)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(.writable)
        case SSL_ERROR_SYSCALL:
            throw PGError(.serverClosedConnection, "\(what) failed: the server closed the connection (\(TLSContext.lastError()))")
        case SSL_ERROR_SSL where ERR_peek_error() & UInt(ERR_REASON_MASK) == UInt(SSL_R_UNEXPECTED_EOF_WHILE_READING):
            // OpenSSL 3 reports a close without close_notify as a protocol error; for us it is
            // the server going away, as a plaintext read's end of file is.
            throw PGError(.serverClosedConnection, "\(what) failed: the server closed the connection (\(TLSContext.lastError()))")
        default:
            if let verifyError {
                throw PGError(.tlsFailed, "\(what) failed: the server's certificate: \(verifyError)")
            }
            throw PGError(.tlsFailed, "\(what) failed: \(TLSContext.lastError())")
        }
    }
}
