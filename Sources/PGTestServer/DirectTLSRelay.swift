internal import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies bytes between a client's TLS session and the server's plain socket, both
/// non-blocking, on one thread.
///
/// One thread for both directions because an SSL object must not be read and written by two
/// threads at once. Each turn moves what it can without waiting, then polls for what the
/// stalled side waits for. A buffer per direction, bounded, so neither side can make the
/// relay hold unbounded data; a full buffer stops reading from that side until it drains.
struct DirectTLSRelay {
    private static let bufferLimit = 1 << 18
    private static let chunk = 1 << 14

    let ssl: OpaquePointer
    let client: Int32
    let server: Int32
    let core: DirectTLSCore

    private var toServer: [UInt8] = []
    private var toClient: [UInt8] = []
    /// Whether each side may still send: false after its end of stream (or an error).
    private var clientSends = true
    private var serverSends = true
    /// What OpenSSL waited for when a read or write could not go on: TLS may need to write
    /// to read (a key update) and read to write.
    private var tlsReadWaitsFor = Int16(POLLIN)
    private var tlsWriteWaitsFor = Int16(POLLOUT)

    init(ssl: OpaquePointer, client: Int32, server: Int32, core: DirectTLSCore) {
        self.ssl = ssl
        self.client = client
        self.server = server
        self.core = core
    }

    /// Relays until one side has ended and what it sent is delivered, a side fails, or the
    /// endpoint stops.
    mutating func run() {
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        while !core.isStopped {
            readClient(&buffer)
            readServer(&buffer)
            guard writeServer(), writeClient() else { return }
            if !clientSends && toServer.isEmpty { return }
            if !serverSends && toClient.isEmpty {
                _ = SSL_shutdown(ssl)  // close_notify, best effort
                return
            }
            var clientEvents: Int16 = 0
            if clientSends && toServer.count < Self.bufferLimit { clientEvents |= tlsReadWaitsFor }
            if !toClient.isEmpty { clientEvents |= tlsWriteWaitsFor }
            var serverEvents: Int16 = 0
            if serverSends && toClient.count < Self.bufferLimit { serverEvents |= Int16(POLLIN) }
            if !toServer.isEmpty { serverEvents |= Int16(POLLOUT) }
            // A side we wait for nothing from is left out (-1), or a hang-up there would make
            // poll() return at once, turn after turn, while the other side is stalled.
            let seen = LoopbackSocket.waitFor(
                [
                    (clientEvents == 0 ? -1 : client, clientEvents),
                    (serverEvents == 0 ? -1 : server, serverEvents),
                    (core.wake.readEnd, Int16(POLLIN)),
                ],
                timeoutMilliseconds: 1000)
            if seen[2] != 0 { return }
        }
    }

    /// Reads decrypted bytes until OpenSSL has none (SSL_read also drains what it holds
    /// already, which poll() cannot show) or the buffer is full.
    private mutating func readClient(_ buffer: inout [UInt8]) {
        while clientSends && toServer.count < Self.bufferLimit {
            ERR_clear_error()
            var count = 0
            let result = buffer.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &count) }
            if result == 1 {
                toServer += buffer[0..<count]
                continue
            }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ: tlsReadWaitsFor = Int16(POLLIN); return
            case SSL_ERROR_WANT_WRITE: tlsReadWaitsFor = Int16(POLLOUT); return
            // close_notify, end of file or a TLS error: the client sends nothing more.
            default: clientSends = false
            }
        }
    }

    private mutating func readServer(_ buffer: inout [UInt8]) {
        while serverSends && toClient.count < Self.bufferLimit {
            let count = buffer.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                toClient += buffer[0..<count]
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            serverSends = false
        }
    }

    /// Writes what the client sent to the server; false when the server's socket failed.
    private mutating func writeServer() -> Bool {
        while !toServer.isEmpty {
            let count = toServer.withUnsafeBytes { LoopbackSocket.sendNoSignal(server, $0) }
            if count > 0 {
                toServer.removeFirst(count)
                continue
            }
            if count < 0 && errno == EINTR { continue }
            return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
        return true
    }

    /// Encrypts what the server sent to the client; false when the session failed.
    ///
    /// A write that would block must be retried with the same bytes: the buffer only grows
    /// at its end while it waits, so its start, and the length asked for (at most a chunk),
    /// never shrink (the context allows a moved buffer and partial writes).
    private mutating func writeClient() -> Bool {
        while !toClient.isEmpty {
            ERR_clear_error()
            var count = 0
            let result = toClient.withUnsafeBytes {
                SSL_write_ex(ssl, $0.baseAddress, min($0.count, Self.chunk), &count)
            }
            if result == 1 {
                toClient.removeFirst(count)
                continue
            }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ: tlsWriteWaitsFor = Int16(POLLIN); return true
            case SSL_ERROR_WANT_WRITE: tlsWriteWaitsFor = Int16(POLLOUT); return true
            default: return false
            }
        }
        return true
    }
}
