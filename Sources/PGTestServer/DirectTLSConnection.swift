internal import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One accepted connection of a ``TestServer/DirectTLSEndpoint``, on its own thread: what the
/// client sent first, the TLS handshake, the connection to the server, and the relay.
struct DirectTLSConnection {
    typealias Opening = TestServer.DirectTLSEndpoint.AcceptedConnection.Opening

    /// PostgreSQL's SSLRequest: length 8, then the code 1234 5679 (0x04d2162f).
    static let sslRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]
    /// The content type of a TLS handshake record, the first byte of a ClientHello.
    static let tlsHandshakeRecord: UInt8 = 0x16

    let core: DirectTLSCore
    let client: Int32
    let index: Int

    func run() {
        LoopbackSocket.blockSIGPIPEOnThisThread()
        LoopbackSocket.setNonBlocking(client)
        defer { close(client) }
        let opening = readOpening()
        core.update(index) { $0.opening = opening }
        guard opening == .tlsHandshake else {
            core.update(index) { $0.outcome = .notDirect }
            return
        }
        guard let ssl = SSL_new(core.context.context) else {
            core.update(index) { $0.outcome = .handshakeFailed("SSL_new failed: \(DirectTLSContext.lastError())") }
            return
        }
        defer { SSL_free(ssl) }
        guard let failure = handshake(ssl) else {
            relay(ssl)
            return
        }
        core.update(index) { $0.outcome = .handshakeFailed(failure) }
    }

    /// Classifies the client by its first bytes. A TLS record is only peeked at, so that
    /// OpenSSL reads it whole; anything else is read (up to the 8 bytes of an SSLRequest),
    /// as the connection is closed anyway.
    private func readOpening() -> Opening {
        let deadline = ContinuousClock.now + DirectTLSCore.openingTimeout
        var first: UInt8 = 0
        while true {
            guard core.wait(for: Int16(POLLIN), on: client, until: deadline) else { return .nothing }
            let count = recv(client, &first, 1, Int32(MSG_PEEK))
            if count == 1 { break }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { continue }
            return .nothing
        }
        if first == Self.tlsHandshakeRecord { return .tlsHandshake }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: Self.sslRequest.count)
        while bytes.count < Self.sslRequest.count, Self.sslRequest.starts(with: bytes) {
            guard core.wait(for: Int16(POLLIN), on: client, until: deadline) else { break }
            let count = buffer.withUnsafeMutableBytes {
                recv(client, $0.baseAddress, Self.sslRequest.count - bytes.count, 0)
            }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                break
            }
        }
        return bytes == Self.sslRequest ? .sslRequest : .other
    }

    /// Runs the server side of the handshake; nil when it succeeded, else why not. Records
    /// what the client offered either way.
    private func handshake(_ ssl: OpaquePointer) -> String? {
        let probe = ALPNProbe(behaviour: core.alpn)
        guard SSL_set_fd(ssl, client) == 1 else { return "SSL_set_fd failed: \(DirectTLSContext.lastError())" }
        SSL_set_accept_state(ssl)
        // The callbacks find the probe here; it outlives the handshake (withExtendedLifetime).
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(probe).toOpaque())
        let failure = withExtendedLifetime(probe) { driveHandshake(ssl) }
        SSL_set_ex_data(ssl, 0, nil)

        var selected: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &selected, &length)
        let serverName = SSL_get_servername(ssl, Int32(TLSEXT_NAMETYPE_host_name)).map { String(cString: $0) }
        core.update(index) { record in
            record.offeredALPN = probe.offered
            record.serverName = serverName
            guard failure == nil else { return }
            record.selectedALPN = selected.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self) }
            record.tlsVersion = String(cString: SSL_get_version(ssl))
        }
        return failure.map { probe.refusal ?? $0 }
    }

    private func driveHandshake(_ ssl: OpaquePointer) -> String? {
        let deadline = ContinuousClock.now + DirectTLSCore.openingTimeout
        while true {
            ERR_clear_error()
            let result = SSL_do_handshake(ssl)
            if result == 1 { return nil }
            let events: Int16
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ: events = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
            case SSL_ERROR_SYSCALL:
                return "the client closed the connection during the handshake (\(DirectTLSContext.lastError()))"
            default:
                return DirectTLSContext.lastError()
            }
            guard core.wait(for: events, on: client, until: deadline) else {
                return core.isStopped ? "the endpoint stopped" : "the handshake timed out"
            }
        }
    }

    /// Connects to the server and relays until either side is done.
    private func relay(_ ssl: OpaquePointer) {
        let server: Int32
        do {
            switch core.server {
            case .tcp(let port): server = try LoopbackSocket.connectTCP(port: port)
            case .unixSocket(let path): server = try LoopbackSocket.connectUnix(path: path)
            }
        } catch {
            let reason = (error as? TestServerError)?.message ?? "\(error)"
            core.update(index) { $0.outcome = .serverUnreachable(reason) }
            _ = SSL_shutdown(ssl)
            return
        }
        defer { close(server) }
        LoopbackSocket.setNonBlocking(server)
        core.update(index) { $0.outcome = .relayed }
        var relay = DirectTLSRelay(ssl: ssl, client: client, server: server, core: core)
        relay.run()
    }
}
