internal import COpenSSL

/// The OpenSSL server context of a ``TestServer/DirectTLSEndpoint``: the server's certificate
/// and key, and the two callbacks that see and answer the client's ALPN offer.
final class DirectTLSContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is configured once in init and only read afterwards, when the
    // connection threads make their SSL objects from it (OpenSSL allows sharing it then).
    let context: OpaquePointer

    init(certificate: String, key: String) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw Self.failure("SSL_CTX_new") }
        self.context = context
        // TLS 1.2 at least: PostgreSQL's own minimum (ssl_min_protocol_version).
        guard pgwire_ssl_ctx_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw Self.failure("SSL_CTX_set_min_proto_version")
        }
        guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
            throw Self.failure("reading the certificate \(certificate)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1,
            SSL_CTX_check_private_key(context) == 1
        else {
            throw Self.failure("reading the key \(key)")
        }
        // The relay retries a write that would block with the same bytes, but from a buffer
        // that may have moved (it grows) and may have grown meanwhile; SSL_CTX_set_mode is a
        // macro for this call.
        let mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
        _ = SSL_CTX_ctrl(context, SSL_CTRL_MODE, Int(mode), nil)
        // Both callbacks find the connection's ALPNProbe in the SSL object's app data (index
        // 0, what SSL_set_app_data uses); C function pointers cannot capture it.
        SSL_CTX_set_client_hello_cb(context, { ssl, alert, _ in
            guard let ssl, let probe = ALPNProbe.of(ssl) else { return SSL_CLIENT_HELLO_SUCCESS }
            var data: UnsafePointer<UInt8>?
            var length = 0
            let present = SSL_client_hello_get0_ext(
                ssl, UInt32(TLSEXT_TYPE_application_layer_protocol_negotiation), &data, &length)
            let offered: [String]? = present == 1 && data != nil
                ? ALPNProbe.protocols(inExtension: UnsafeBufferPointer(start: data, count: length)) : nil
            guard probe.acceptsClientHello(offering: offered) else {
                alert?.pointee = SSL_AD_NO_APPLICATION_PROTOCOL
                return SSL_CLIENT_HELLO_ERROR
            }
            return SSL_CLIENT_HELLO_SUCCESS
        }, nil)
        // Called only when the client offered ALPN.
        SSL_CTX_set_alpn_select_cb(context, { ssl, selected, selectedLength, offered, offeredLength, _ in
            guard let ssl, let probe = ALPNProbe.of(ssl), let offered else { return SSL_TLSEXT_ERR_NOACK }
            let list = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
            switch probe.select(from: list) {
            case .selected(let range):
                // Points into the client's list, which OpenSSL keeps for the handshake.
                selected?.pointee = offered + range.lowerBound
                selectedLength?.pointee = UInt8(range.count)
                return SSL_TLSEXT_ERR_OK
            case .none:
                return SSL_TLSEXT_ERR_NOACK
            case .refuse:
                // OpenSSL answers this with the no_application_protocol alert.
                return SSL_TLSEXT_ERR_ALERT_FATAL
            }
        }, nil)
    }

    deinit { SSL_CTX_free(context) }

    /// OpenSSL's reason for the last failure on this thread.
    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        pgwire_last_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func failure(_ what: String) -> TestServerError {
        TestServerError("direct TLS endpoint: \(what) failed: \(lastError())")
    }
}

/// One connection's ALPN decisions and what the client offered, reached by the callbacks
/// through the SSL object's app data. Used only on the connection's own thread: OpenSSL runs
/// the callbacks inside SSL_do_handshake there.
final class ALPNProbe {
    /// The one protocol PostgreSQL speaks over ALPN.
    static let postgresql = Array("postgresql".utf8)

    enum Selection {
        /// The bytes of the chosen name within the client's list.
        case selected(Range<Int>)
        case none
        case refuse
    }

    let behaviour: TestServer.DirectTLSEndpoint.ALPNBehaviour
    /// The ALPN names of the last ClientHello; nil without the extension.
    private(set) var offered: [String]?
    /// Why the endpoint failed the handshake, when it did.
    private(set) var refusal: String?

    init(behaviour: TestServer.DirectTLSEndpoint.ALPNBehaviour) {
        self.behaviour = behaviour
    }

    static func of(_ ssl: OpaquePointer) -> ALPNProbe? {
        guard let pointer = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<ALPNProbe>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Records the offer; false fails the handshake (``TestServer/DirectTLSEndpoint/ALPNBehaviour/postgresql``
    /// without any ALPN). Done here rather than in the select callback, which OpenSSL skips
    /// when the client offers no ALPN.
    func acceptsClientHello(offering offered: [String]?) -> Bool {
        self.offered = offered
        guard behaviour == .postgresql, offered == nil else { return true }
        refusal = "the client offered no ALPN protocol (it must offer \"postgresql\")"
        return false
    }

    /// The answer to the client's ALPN list (the wire format: names, each after a length byte).
    func select(from list: UnsafeBufferPointer<UInt8>) -> Selection {
        guard behaviour == .postgresql else { return .none }
        for range in Self.entries(of: list) where list[range].elementsEqual(Self.postgresql) {
            return .selected(range)
        }
        let names = Self.entries(of: list).map { String(decoding: list[$0], as: UTF8.self) }
        refusal = "the client offered ALPN \(names) without \"postgresql\""
        return .refuse
    }

    /// The names in the ALPN extension's data: a two-byte length, then the list.
    static func protocols(inExtension data: UnsafeBufferPointer<UInt8>) -> [String] {
        guard data.count >= 2 else { return [] }
        let length = min(Int(data[0]) << 8 | Int(data[1]), data.count - 2)
        let list = UnsafeBufferPointer(rebasing: data[2..<(2 + length)])
        return entries(of: list).map { String(decoding: list[$0], as: UTF8.self) }
    }

    /// Where each name of a wire-format list lies; a truncated last entry is left out.
    static func entries(of list: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < list.count {
            let length = Int(list[index])
            let start = index + 1
            guard length > 0, start + length <= list.count else { break }
            ranges.append(start..<(start + length))
            index = start + length
        }
        return ranges
    }
}
