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

extension PGConnection {
    /// SSLRequest and, when the server accepts, the TLS handshake, as `sslmode` says; returns
    /// whether the connection is now encrypted. Waits until `deadline` (connect_timeout).
    ///
    /// - Throws: ``PGError/Code/tlsFailed`` when the mode demands TLS and the server has none,
    ///   when the server's certificate is untrusted, expired or for another host, and when the
    ///   server sent bytes after its 'S' before the handshake (CVE-2021-23222: someone between
    ///   us and the server may be injecting them).
    static func negotiateTLS(
        on socket: Socket, server: Configuration.Server, _ configuration: Configuration, deadline: ContinuousClock.Instant?
    ) async throws -> Bool {
        do {
            return try await negotiateTLSWithinDeadline(on: socket, server: server, configuration, deadline: deadline)
        } catch is Poller.DeadlineExceeded {
            throw PGError(
                .timeout,
                "server at \(server) did not complete the TLS negotiation within connect_timeout (\(configuration.connectTimeout ?? .zero))")
        }
    }

    private static func negotiateTLSWithinDeadline(
        on socket: Socket, server: Configuration.Server, _ configuration: Configuration, deadline: ContinuousClock.Instant?
    ) async throws -> Bool {
        let mode = configuration.tls.mode
        // allow: plaintext first (libpq then retries with TLS if the server refuses plaintext).
        if mode == .disable || mode == .allow { return false }
        // As libpq: sslmode does not apply to Unix domain sockets (the server has no TLS there).
        if case .unixSocket = socket.endpoint { return false }
        var encoder = FrontendMessageEncoder()
        encoder.sslRequest()
        try await socket.writeAll(encoder.buffer, deadline: deadline ?? .now + .seconds(Int64(Int32.max)))
        let answer = try await SSLRequestAnswer(try socket.readByte(deadline: deadline))
        switch answer {
        case .refused:
            if [.require, .verifyCA, .verifyFull].contains(mode) {
                throw PGError(.tlsFailed, "server at \(server) does not support TLS, but sslmode=\(mode.rawValue) requires it")
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
            let context = try TLSContext(configuration.tls)
            let session = try TLSSession(
                context: context, fd: socket.fd,
                serverName: configuration.tls.serverNameIndication ? server.host : nil,
                verifyHost: context.verifiesHost ? server.host : nil)
            do {
                try await socket.handshake(session, deadline: deadline)
            } catch let error as PGError where error.code == .tlsFailed && context.verifiesHost {
                throw PGError(.tlsFailed, error.message + " (checked against host \"\(server.host)\")")
            }
            socket.startTLS(session)
            return true
        }
    }
}
