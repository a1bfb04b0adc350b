extension PGConnection {
    /// What a connection's TLS session settled on (libpq's `PQsslAttribute`).
    public struct TLSInfo: Sendable, Hashable {
        /// The TLS version, as OpenSSL names it: `TLSv1.2`, `TLSv1.3`.
        public let protocolVersion: String
        /// The cipher suite, for example `TLS_AES_256_GCM_SHA384`.
        public let cipher: String
        /// The protocol agreed by ALPN: `postgresql` with direct TLS and PostgreSQL 17 or later;
        /// nil when the server chose none (PostgreSQL 16 and older).
        public let applicationProtocol: String?
    }

    /// The TLS session's facts, or nil when the connection is not encrypted (`sslmode`
    /// `disable`, a server without TLS under `prefer`, or a Unix socket).
    public var tlsInfo: TLSInfo? {
        io.socket.tls.map {
            TLSInfo(protocolVersion: $0.protocolVersion, cipher: $0.cipher, applicationProtocol: $0.negotiatedProtocol)
        }
    }
}
