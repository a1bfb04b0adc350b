/// What the server answered to SSLRequest: one byte, and nothing after it.
enum SSLRequestAnswer: Equatable {
    /// 'S': go on with the TLS handshake.
    case accepted
    /// 'N': no TLS here; the startup may go on in plaintext on the same socket.
    case refused
    /// 'E': an ErrorResponse (a server that predates SSLRequest, or failed to fork).
    case error

    /// The answer for `byte`.
    /// - Throws: ``PGError/Code/protocolViolation`` for any other byte.
    init(_ byte: UInt8) throws(PGError) {
        switch byte {
        case UInt8(ascii: "S"): self = .accepted
        case UInt8(ascii: "N"): self = .refused
        case UInt8(ascii: "E"): self = .error
        default:
            throw PGError(.protocolViolation, "received invalid response to SSL negotiation: byte \(byte)")
        }
    }
}

/// How one connection attempt begins, from `sslmode` and `sslnegotiation`.
enum TLSAttempt: Equatable {
    /// No TLS: disable, allow's first try, and every Unix socket (the server has no TLS there).
    case plaintext
    /// SSLRequest first; `required` fails when the server answers 'N', else goes on in plaintext.
    case request(required: Bool)
    /// TLS at once, with ALPN `postgresql` (PostgreSQL 17's direct TLS).
    case direct

    /// The first attempt for `tls` over `endpoint`. (allow's retry over TLS is `.request(required: true)`.)
    init(_ tls: PGConnection.Configuration.TLS, endpoint: PGEndpoint) {
        if case .unixSocket = endpoint {
            self = .plaintext
            return
        }
        switch tls.mode {
        case .disable, .allow: self = .plaintext
        case .prefer: self = .request(required: false)
        case .require, .verifyCA, .verifyFull: self = tls.negotiation == .direct ? .direct : .request(required: true)
        }
    }
}

extension PGConnection {
    /// Begins TLS on a new socket as `attempt` says, then checks the server's certificate as
    /// `sslmode` says. Waits until `deadline` (connect_timeout); the socket says afterwards
    /// whether it is encrypted (`Socket.tls`).
    ///
    /// - Throws: ``PGError/Code/tlsFailed`` when the mode demands TLS and the server has none,
    ///   when the server's certificate is untrusted, expired or for another host, when a direct
    ///   TLS server does not agree on ALPN `postgresql`, and when the server sent bytes after
    ///   its 'S' before the handshake (CVE-2021-23222: someone between us and the server may be
    ///   injecting them).
    static func negotiateTLS(
        on socket: Socket, _ attempt: TLSAttempt, server: Configuration.Server, _ configuration: Configuration,
        deadline: ContinuousClock.Instant?
    ) async throws {
        do {
            switch attempt {
            case .plaintext:
                return
            case .request(let required):
                guard try await requestTLS(on: socket, required: required, server: server, configuration, deadline: deadline) else {
                    return
                }
                try await handshake(on: socket, direct: false, server: server, configuration, deadline: deadline)
            case .direct:
                try await handshake(on: socket, direct: true, server: server, configuration, deadline: deadline)
            }
        } catch is Poller.DeadlineExceeded {
            throw PGError(
                .timeout,
                "server at \(server) did not complete the TLS negotiation within connect_timeout (\(configuration.connectTimeout ?? .zero))")
        }
    }

    /// Sends SSLRequest and reads the answer: true to go on with the handshake.
    private static func requestTLS(
        on socket: Socket, required: Bool, server: Configuration.Server, _ configuration: Configuration, deadline: ContinuousClock.Instant?
    ) async throws -> Bool {
        var encoder = FrontendMessageEncoder()
        encoder.sslRequest()
        try await socket.writeAll(encoder.buffer, deadline: deadline ?? .now + .seconds(Int64(Int32.max)))
        switch try SSLRequestAnswer(try await socket.readByte(deadline: deadline)) {
        case .refused:
            if required {
                throw PGError(
                    .tlsFailed, "server at \(server) does not support TLS, but sslmode=\(configuration.tls.mode.rawValue) requires it")
            }
            return false
        case .error:
            throw PGError(.tlsFailed, "server at \(server) answered the TLS request with an error (a server older than 7.0, or out of processes)")
        case .accepted:
            if try socket.hasUnreadBytes() {
                throw PGError(
                    .tlsFailed,
                    "server at \(server) sent unencrypted data after accepting TLS, before the handshake "
                        + "(possible man-in-the-middle, CVE-2021-23222)")
            }
            return true
        }
    }

    /// The handshake, the host check of verify-full, and (direct TLS) the ALPN check.
    private static func handshake(
        on socket: Socket, direct: Bool, server: Configuration.Server, _ configuration: Configuration, deadline: ContinuousClock.Instant?
    ) async throws {
        let context = try TLSContext(configuration.tls)
        let session = try TLSSession(
            context: context, fd: socket.fd, serverName: configuration.tls.serverNameIndication ? server.host : nil)
        do {
            try await socket.handshake(session, deadline: deadline)
        } catch let error as PGError where direct && error.code == .serverClosedConnection {
            throw PGError(
                .tlsFailed,
                "server at \(server) closed the connection during a direct TLS handshake (sslnegotiation=direct needs PostgreSQL 17 or later)")
        } catch let error as PGError where direct && error.code == .tlsFailed && error.message.contains("wrong version number") {
            throw PGError(
                .tlsFailed,
                "server at \(server) does not speak direct TLS (\(error.message)); sslnegotiation=direct needs PostgreSQL 17 or later")
        }
        if context.verifiesHost { try session.verifyHost(server.host) }
        // PostgreSQL 17 refuses a direct TLS connection without ALPN; a server that accepts one
        // is not the PostgreSQL we meant to reach (libpq checks the same).
        if direct, session.negotiatedProtocol != TLSContext.alpnProtocol {
            throw PGError(
                .tlsFailed,
                "server at \(server) completed a direct TLS handshake without selecting ALPN protocol \"postgresql\" "
                    + "(it chose \(session.negotiatedProtocol.map { "\"\($0)\"" } ?? "none"))")
        }
        socket.startTLS(session)
    }
}
