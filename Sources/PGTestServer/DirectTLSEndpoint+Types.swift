extension TestServer.DirectTLSEndpoint {
    /// What the endpoint does with the client's ALPN offer during the TLS handshake.
    ///
    /// There is no case selecting a protocol other than `postgresql`: a TLS server may only
    /// select a protocol the client offered, so for a client offering just `postgresql` the
    /// only outcomes are `postgresql` (``postgresql``) or nothing (``noALPN``).
    public enum ALPNBehaviour: Sendable, Hashable {
        /// As PostgreSQL 17: selects `postgresql` when the client offers it; a client that
        /// offers no ALPN, or a list without `postgresql`, gets the handshake failed with the
        /// `no_application_protocol` alert (120).
        ///
        /// (PostgreSQL 17 itself finishes the handshake with a client offering no ALPN and
        /// then closes the connection; a client sees an error either way.)
        case postgresql
        /// Completes the handshake without selecting any protocol, as a server unaware of
        /// ALPN (a TLS terminator in front of an older PostgreSQL) does. A PostgreSQL 17
        /// client must refuse to go on.
        case noALPN
    }

    /// How the endpoint reaches the real server; the server sees a connection without TLS.
    ///
    /// Roles that `pg_hba.conf` lets in only over TLS (``TestServer/TLSSetup/tlsOnlyUser``,
    /// ``TestServer/TLSSetup/certificateUser``) are therefore refused through the endpoint;
    /// the superuser, the test users (``TestServer/users``) and
    /// ``TestServer/TLSSetup/plainOnlyUser`` log in.
    public enum Upstream: Sendable, Hashable {
        /// TCP to ``TestServer/host``:``TestServer/port`` (`host`/`hostnossl` rules).
        case tcp
        /// The Unix socket ``TestServer/socketPath`` (`local` rules).
        case unixSocket
    }

    /// One connection the endpoint accepted, as far as it has got.
    public struct AcceptedConnection: Sendable, Hashable {
        /// What the client sent first.
        public enum Opening: Sendable, Hashable {
            /// Not known yet: the endpoint is still waiting for the first byte.
            case pending
            /// A TLS handshake record (first byte 0x16): a client using direct TLS.
            case tlsHandshake
            /// PostgreSQL's SSLRequest (length 8, code 80877103): a client negotiating TLS
            /// the traditional way. The endpoint closes such a connection without an answer.
            case sslRequest
            /// Anything else (a StartupMessage, a GSSENCRequest, garbage); closed at once.
            case other
            /// Nothing: the client closed the connection, or sent nothing for 10 seconds.
            case nothing
        }

        /// How the connection went.
        public enum Outcome: Sendable, Hashable {
            /// Still opening or in the TLS handshake.
            case pending
            /// The client did not start with TLS (see ``opening``); the endpoint closed the
            /// connection without sending anything.
            case notDirect
            /// The TLS handshake failed: the endpoint's own reason (say, no ALPN offered) or
            /// OpenSSL's (say, the client's alert).
            case handshakeFailed(String)
            /// The handshake succeeded but the real server could not be reached.
            case serverUnreachable(String)
            /// The handshake succeeded and the bytes were relayed to the real server (the
            /// relay may still be running).
            case relayed
        }

        /// What the client sent first.
        public var opening: Opening = .pending
        /// Whether the client went straight to TLS: its first byte began a TLS handshake.
        public var isDirect: Bool { opening == .tlsHandshake }
        /// The protocols of the ClientHello's ALPN extension, in the client's order; `nil`
        /// when the client sent no ClientHello or one without ALPN.
        public var offeredALPN: [String]?
        /// The protocol the handshake settled on; `nil` when none was selected.
        public var selectedALPN: String?
        /// The host name the client sent as SNI, if any.
        public var serverName: String?
        /// The TLS version of a completed handshake, as OpenSSL names it (`TLSv1.3`).
        public var tlsVersion: String?
        /// How the connection went.
        public var outcome: Outcome = .pending

        /// Whether the connection has got past its handshake one way or another.
        public var isSettled: Bool { outcome != .pending }
    }
}
