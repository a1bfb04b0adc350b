import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a child's captured standard output and standard error on a thread of its own, with
/// `poll`, as the child writes them, so that it never stalls on a full pipe.
///
/// It stops at end of file on both, or ``drainTime`` after the child ended: a process the
/// child left behind may hold the pipe open for ever.
final class OutputCollector: Sendable {
    private let stdoutBytes = Mutex<[UInt8]>([])
    private let stderrBytes = Mutex<[UInt8]>([])
    /// Fires once reading is over (at once when nothing is captured).
    let finished = ExitSignal()

    /// How long reading goes on after the child ended while a pipe is still open.
    static let drainTime = Duration.milliseconds(500)

    var stdout: [UInt8] { stdoutBytes.withLock { $0 } }
    var stderr: [UInt8] { stderrBytes.withLock { $0 } }

    /// Takes over the read ends `stdout` and `stderr` (either may be `nil`) and closes them.
    init(stdout: Int32?, stderr: Int32?, childExited: ExitSignal) {
        let streams = [(stdout, true), (stderr, false)].compactMap { descriptor, isOut in descriptor.map { ($0, isOut) } }
        guard !streams.isEmpty else {
            finished.fire()
            return
        }
        let thread = Thread { [self] in
            collect(streams, childExited: childExited)
            finished.fire()
        }
        thread.stackSize = 1 << 18
        thread.start()
    }

    private func collect(_ streams: [(descriptor: Int32, isOut: Bool)], childExited: ExitSignal) {
        var open = streams
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var exitSeen: ContinuousClock.Instant?
        defer { for stream in open { close(stream.descriptor) } }
        while !open.isEmpty {
            var polled = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            // A bounded wait, to notice the child's end while a process it left holds a pipe.
            let ready = poll(&polled, nfds_t(polled.count), 50)
            if ready < 0 && errno != EINTR { return }
            for index in polled.indices.reversed() where polled[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(polled[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    let bytes = buffer[0..<count]
                    if open[index].isOut {
                        stdoutBytes.withLock { $0.append(contentsOf: bytes) }
                    } else {
                        stderrBytes.withLock { $0.append(contentsOf: bytes) }
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(open[index].descriptor)
                    open.remove(at: index)
                }
            }
            if childExited.hasFired {
                let now = ContinuousClock.now
                if let exitSeen {
                    if now - exitSeen > Self.drainTime { return }
                } else {
                    exitSeen = now
                }
            }
        }
    }
}
