#if canImport(Glibc)
import Glibc
#endif

/// Plays a script on one accepted socket, on that connection's own thread.
///
/// Every read and write waits in `poll` for at most ``tick`` at a time, then checks whether the
/// server is stopping or its lifetime is over, so no step can block forever. The socket is
/// non-blocking; bytes read are buffered (a client may send several messages in one write) and
/// recorded as they arrive.
struct ScriptPlayer: ~Copyable {
    /// Why a script ended before its last step.
    enum End: Error {
        /// The client closed its end (or the socket broke).
        case clientClosed
        /// ``ScriptedServer/stop()`` was called or the server's lifetime ran out.
        case serverStopping
        /// A CancelRequest was read: recorded, and the connection ends.
        case cancelRequest
    }

    static let tick: Int32 = 20  // milliseconds

    let fd: Int32
    let record: ConnectionRecord
    let server: ScriptedServer
    private var buffer: [UInt8] = []

    init(fd: Int32, record: ConnectionRecord, server: ScriptedServer) {
        self.fd = fd
        self.record = record
        self.server = server
    }

    /// Plays `steps`, then closes the socket.
    mutating func play(_ steps: [ScriptStep]) {
        defer { record.finish() }
        do {
            for step in steps { try perform(step) }
        } catch {}
        closeGracefully()
    }

    /// Sends FIN, then reads (and records) for a short while before closing. Closing a socket
    /// with unread input makes the kernel send RST, which can destroy the bytes just sent
    /// before the client read them; a test of "the server sent X, then closed" needs X to arrive.
    private mutating func closeGracefully() {
        shutdown(fd, Int32(SHUT_WR))
        let end = ContinuousClock.now + .milliseconds(500)
        while ContinuousClock.now < end, server.isRunning {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Self.tick) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EAGAIN || errno == EINTR { continue }
            guard count > 0 else { break }
            record.appendRaw(chunk[0..<count])
        }
        close(fd)
    }

    private mutating func perform(_ step: ScriptStep) throws {
        switch step {
        case .readStartup: try readStartup()
        case .readSSLRequest:
            let packet = try readExact(8)
            if Self.int32(packet, at: 0) != 8 || Self.int32(packet, at: 4) != 80_877_103 {
                record.problem("expected an SSLRequest, got \(packet)")
                throw End.clientClosed
            }
        case .readMessage(let type): _ = try readMessage(expecting: type)
        case .readUntil(let type):
            while try readMessage(expecting: nil).type != type {}
        case .send(let bytes): try send(bytes)
        case .pause(let duration): try pause(duration)
        case .close: throw End.clientClosed
        case .silent:
            while true { _ = try fill() }
        case .scramServer(let password, let iterations, let tamper):
            var exchange = FakeSCRAMExchange(password: password, iterations: iterations, tamper: tamper)
            try send(BackendBytes.sasl())
            let initial = try readMessage(expecting: "p")
            let serverFirst = exchange.serverFirst(forInitialResponse: initial.body, record: record)
            try send(BackendBytes.saslContinue(serverFirst))
            if tamper == .okBeforeFinal {
                try send(BackendBytes.authenticationOk)
                return
            }
            let final = try readMessage(expecting: "p")
            try send(BackendBytes.saslFinal(exchange.serverFinal(forClientFinal: final.body, record: record)))
        case .serveQueries(let value):
            try serveQueries(value)
        }
    }

    // MARK: Protocol reads

    private mutating func readStartup() throws {
        while true {
            let length = Int(try Self.int32(readExact(4), at: 0))
            guard length >= 8, length <= 10_000 else {
                record.problem("startup packet with length \(length)")
                throw End.clientClosed
            }
            let body = try readExact(length - 4)
            let code = Self.int32(body, at: 0)
            switch code {
            case 80_877_103, 80_877_104:  // SSLRequest, GSSENCRequest: refuse, then the real packet follows.
                try send([UInt8(ascii: "N")])
            case 80_877_102:
                if body.count >= 12 {
                    server.recordCancel(
                        ReceivedCancelRequest(
                            processID: Self.int32(body, at: 4), secretKey: Self.int32(body, at: 8),
                            connectionIndex: record.index))
                }
                throw End.cancelRequest
            default:
                var parameters: [String: String] = [:]
                let strings = body.dropFirst(4).split(separator: 0, omittingEmptySubsequences: false)
                var index = strings.startIndex
                while index + 1 < strings.endIndex, !strings[index].isEmpty {
                    parameters[String(decoding: strings[index], as: UTF8.self)] = String(decoding: strings[index + 1], as: UTF8.self)
                    index += 2
                }
                record.setStartupParameters(parameters)
                return
            }
        }
    }

    /// Reads one typed frontend message and records it.
    private mutating func readMessage(expecting expected: Character?) throws -> FrontendMessage {
        let header = try readExact(5)
        let length = Int(Self.int32(header, at: 1))
        guard length >= 4, length <= 64 << 20 else {
            record.problem("frontend message with length \(length)")
            throw End.clientClosed
        }
        let message = FrontendMessage(type: Character(UnicodeScalar(header[0])), body: try readExact(length - 4))
        record.append(message)
        if let expected, message.type != expected {
            record.problem("expected frontend message \(expected), read \(message.type)")
        }
        return message
    }

    private mutating func serveQueries(_ value: Int32) throws {
        var reply: [UInt8] = []
        let binaryValue = BackendBytes.int32(value)
        while true {
            let message = try readMessage(expecting: nil)
            switch message.type {
            case "Q":
                try send(BackendBytes.simpleResult(values: ["\(value)"]))
            case "P": reply += BackendBytes.parseComplete
            case "B": reply += BackendBytes.bindComplete
            case "D":
                if message.body.first == UInt8(ascii: "S") { reply += BackendBytes.parameterDescription([]) }
                reply += BackendBytes.rowDescription([("v", 23, 1)])
            case "E": reply += BackendBytes.dataRow([binaryValue]) + BackendBytes.commandComplete("SELECT 1")
            case "C": reply += BackendBytes.closeComplete
            case "S":
                try send(reply + BackendBytes.readyForQuery("I"))
                reply = []
            case "X": throw End.clientClosed
            default: break
            }
        }
    }

    // MARK: Socket I/O

    /// Reads exactly `count` bytes, from the buffer first.
    private mutating func readExact(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        let bytes = Array(buffer.prefix(count))
        buffer.removeFirst(count)
        return bytes
    }

    /// Waits for bytes (one tick at a time) and appends what one `read` returns to the buffer.
    private mutating func fill() throws {
        while true {
            try checkRunning()
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Self.tick)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EAGAIN || errno == EINTR { continue }
            guard count > 0 else { throw End.clientClosed }
            record.appendRaw(chunk[0..<count])
            buffer += chunk[0..<count]
            return
        }
    }

    private func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            try checkRunning()
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                offset += written
                continue
            }
            guard written < 0, errno == EAGAIN || errno == EINTR else { throw End.clientClosed }
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&descriptor, 1, Self.tick)
        }
    }

    private func pause(_ duration: Duration) throws {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            try checkRunning()
            usleep(UInt32(Self.tick) * 1000)
        }
    }

    private func checkRunning() throws {
        if !server.isRunning { throw End.serverStopping }
    }

    static func int32(_ bytes: [UInt8], at offset: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
    }
}
