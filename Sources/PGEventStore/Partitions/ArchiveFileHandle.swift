#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few `FileHandle` calls the partition archive files make, on a POSIX file descriptor:
/// `FileHandle` is in full Foundation, not in FoundationEssentials, and the libraries link only
/// the latter.
final class ArchiveFileHandle {
    private var descriptor: Int32

    /// Opens an existing file for writing (neither created nor truncated), as
    /// `FileHandle(forWritingTo:)`.
    init(forWritingAtPath path: String) throws(ArchiveFileError) {
        descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveFileError("open", errno) }
    }

    /// Opens a file for reading, as `FileHandle(forReadingFrom:)`.
    init(forReadingAtPath path: String) throws(ArchiveFileError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveFileError("open", errno) }
    }

    deinit { if descriptor >= 0 { _ = systemClose(descriptor) } }

    func write(contentsOf bytes: some Collection<UInt8>) throws(ArchiveFileError) {
        let bytes = Array(bytes)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw ArchiveFileError("write", errno)
            }
            written += result
        }
    }

    func seek(toOffset offset: UInt64) throws(ArchiveFileError) {
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else { throw ArchiveFileError("lseek", errno) }
    }

    func seekToEnd() throws(ArchiveFileError) {
        guard lseek(descriptor, 0, SEEK_END) >= 0 else { throw ArchiveFileError("lseek", errno) }
    }

    func synchronize() throws(ArchiveFileError) {
        guard fsync(descriptor) == 0 else { throw ArchiveFileError("fsync", errno) }
    }

    /// Closes the descriptor; closing again does nothing.
    func close() throws(ArchiveFileError) {
        guard descriptor >= 0 else { return }
        let result = systemClose(descriptor)
        descriptor = -1
        guard result == 0 else { throw ArchiveFileError("close", errno) }
    }

    /// Up to `count` bytes (fewer only at the end of the file); nil at the end of the file.
    func read(upToCount count: Int) throws(ArchiveFileError) -> Data? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress! + filled, count - filled)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw ArchiveFileError("read", errno)
            }
            if result == 0 { break }
            filled += result
        }
        return filled == 0 ? nil : Data(bytes[..<filled])
    }
}

/// A failed system call on an archive file, with its errno.
struct ArchiveFileError: Error, CustomStringConvertible {
    var call: String
    var code: Int32

    init(_ call: String, _ code: Int32) {
        self.call = call
        self.code = code
    }

    var description: String { "\(call): \(String(cString: strerror(code))) (errno \(code))" }
}

// The C calls under names that the methods above do not shadow.
private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(descriptor, bytes, count) }
private func systemRead(_ descriptor: Int32, _ bytes: UnsafeMutableRawPointer, _ count: Int) -> Int { read(descriptor, bytes, count) }
