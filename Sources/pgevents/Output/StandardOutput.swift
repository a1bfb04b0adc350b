import Synchronization

/// Buffered standard output: commands that print a line per event write through this, so a
/// read of a million events costs a few thousand `write` calls, not a million.
final class StandardOutput: Sendable {
    static let shared = StandardOutput(descriptor: 1)

    private let descriptor: Int32
    private let buffer = Mutex<[UInt8]>([])
    /// Flushed once the buffer holds this many bytes.
    private static let threshold = 64 * 1024

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func write(_ text: String) {
        write(bytes: text.utf8)
    }

    func write(bytes: some Sequence<UInt8>) {
        buffer.withLock { buffer in
            buffer.append(contentsOf: bytes)
            if buffer.count >= Self.threshold { drain(&buffer) }
        }
    }

    /// Writes out what is buffered. Returns false when stdout refuses it (a pipe whose reader
    /// is gone, with SIGPIPE ignored), so a command that would run on (`tail`) can end.
    @discardableResult
    func flush() -> Bool {
        buffer.withLock { drain(&$0) }
    }

    @discardableResult
    private func drain(_ buffer: inout [UInt8]) -> Bool {
        let written = buffer.withUnsafeBytes { WriteAll.write(descriptor, $0) }
        buffer.removeAll(keepingCapacity: true)
        return written
    }
}
