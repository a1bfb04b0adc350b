#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Socket {
    /// The TLS form of ``sendOnce(_:from:)``.
    func sendOnce(_ bytes: [UInt8], from offset: Int, through tls: TLSSession) throws -> Sys.IOResult {
        while true {
            let step = try bytes.withUnsafeBytes { raw in try tls.write(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            switch step {
            case .done(let count): return .done(count)
            case .wouldBlock(.writable): return .wouldBlock
            case .wouldBlock(.readable):
                // A write that must read first (a renegotiating peer; PostgreSQL never asks):
                // wait here, briefly, rather than teach every caller a second direction.
                try awaitInline(events: Int16(POLLIN))
            }
        }
    }

    /// The TLS form of ``readOnce(into:minimumCapacity:)``: reads until OpenSSL holds nothing
    /// more, because bytes it has decrypted and kept do not make the socket readable, and a
    /// caller that then waited on the socket would wait for them forever.
    func readOnce(into decoder: inout BackendMessageDecoder, minimumCapacity: Int, through tls: TLSSession) throws -> Sys.IOResult {
        var total = 0
        repeat {
            var step = TLSSession.Step.wouldBlock(.readable)
            var failure: (any Error)?
            _ = decoder.writeIntoTail(minimumCapacity: minimumCapacity) { buffer in
                do { step = try tls.read(into: buffer) } catch { failure = error }
                if case .done(let count) = step { return count }
                return 0
            }
            if let failure { throw failure }
            switch step {
            case .done(0): return .done(total)
            case .done(let count): total += count
            case .wouldBlock(.readable): return total > 0 ? .done(total) : .wouldBlock
            case .wouldBlock(.writable): try awaitInline(events: Int16(POLLOUT))
            }
        } while tls.hasPending
        return .done(total)
    }

    /// The handshake on this socket, waiting on the poller (as reads and writes do) until
    /// `deadline`.
    func handshake(_ tls: TLSSession, deadline: ContinuousClock.Instant?) async throws {
        while true {
            switch try tls.handshake() {
            case .done: return
            case .wouldBlock(.readable): try await wait(for: .readable, deadline: deadline, cancellable: true)
            case .wouldBlock(.writable): try await wait(for: .writable, deadline: deadline, cancellable: true)
            }
        }
    }

    /// Waits on this thread, up to a second, for a direction a TLS record needs.
    private func awaitInline(events: Int16) throws {
        do {
            _ = try Sys.poll(fd, events: events, timeout: .seconds(1))
        } catch {
            throw Self.ioError("could not wait for the TLS connection", error.errno)
        }
    }
}

extension Socket {
    /// Reads exactly one byte (the answer to SSLRequest), waiting until `deadline`.
    func readByte(deadline: ContinuousClock.Instant?) async throws -> UInt8 {
        var byte: UInt8 = 0
        while true {
            let outcome: Sys.IOResult
            do throws(Sys.Failure) {
                outcome = try withUnsafeMutableBytes(of: &byte) { buffer throws(Sys.Failure) in try Sys.read(fd, into: buffer) }
            } catch {
                throw Self.ioError("could not receive the answer to the TLS request", error.errno)
            }
            switch outcome {
            case .done(0): throw PGError(.serverClosedConnection, "server closed the connection while answering the TLS request")
            case .done: return byte
            case .wouldBlock: try await wait(for: .readable, deadline: deadline, cancellable: true)
            }
        }
    }

    /// True when bytes wait unread on the socket now (looked at without taking them).
    func hasUnreadBytes() throws -> Bool {
        var byte: UInt8 = 0
        let count = withUnsafeMutableBytes(of: &byte) { recv(fd, $0.baseAddress, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) }
        return count > 0
    }
}
