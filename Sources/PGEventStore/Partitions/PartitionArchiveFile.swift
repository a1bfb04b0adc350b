#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes an archive file (``PartitionArchiveFormat``) as `<path>.partial`, buffered, and makes
/// it `<path>` only once all of it is on disk: fsync of the file, rename, fsync of the folder.
/// A crash before that leaves at most a `.partial` file, never a `<path>` that looks whole.
final class PartitionArchiveWriter {
    let path: String
    let partialPath: String
    private let handle: ArchiveFileHandle
    private var buffer: [UInt8] = []
    /// Bytes written so far, buffered ones included.
    private(set) var offset: UInt64 = 0
    private static let flushSize = 1 << 20

    /// - Throws: ``EventStoreError/Code/invalidArgument`` when `path` (or its `.partial`)
    ///   exists: an archive is never overwritten.
    init(creating path: String) throws {
        let partialPath = path + ".partial"
        self.path = path
        self.partialPath = partialPath
        for existing in [path, partialPath] where FileManager.default.fileExists(atPath: existing) {
            throw EventStoreError(.invalidArgument, "\(existing) exists: an archive is never overwritten")
        }
        guard FileManager.default.createFile(atPath: partialPath, contents: nil) else {
            throw EventStoreError(.invalidArgument, "cannot create \(partialPath)")
        }
        handle = try Self.io(partialPath) { try ArchiveFileHandle(forWritingAtPath: partialPath) }
    }

    func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        offset += UInt64(bytes.count)
        if buffer.count >= Self.flushSize { try flush() }
    }

    func writeLine(_ line: String) throws { try write(Array((line + "\n").utf8)) }

    /// Overwrites bytes written before (a header field filled in once known).
    func overwrite(at position: UInt64, _ bytes: [UInt8]) throws {
        try flush()
        try Self.io(partialPath) {
            try handle.seek(toOffset: position)
            try handle.write(contentsOf: bytes)
            try handle.seekToEnd()
        }
    }

    /// Writes what is buffered, fsyncs, closes and renames the file to `path`, then fsyncs the
    /// folder so that the rename is durable too.
    func finish() throws {
        try flush()
        try Self.io(partialPath) {
            try handle.synchronize()
            try handle.close()
        }
        guard rename(partialPath, path) == 0 else {
            throw EventStoreError(.invalidArgument, "cannot rename \(partialPath) to \(path): errno \(errno)")
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? ""
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY)
        guard descriptor >= 0 else { throw EventStoreError(.invalidArgument, "cannot open \(folder) to fsync it: errno \(errno)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw EventStoreError(.invalidArgument, "cannot fsync \(folder): errno \(errno)") }
    }

    /// Closes and removes the partial file (after a failure).
    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: partialPath)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try Self.io(partialPath) { try handle.write(contentsOf: buffer) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Runs a Foundation file call, its error as the store's.
    static func io<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(.invalidArgument, "cannot write \(path): \(error)", underlying: error)
        }
    }
}

/// Reads an archive file front to back in chunks: header lines and partitions' data.
final class PartitionArchiveReader {
    let path: String
    private let handle: ArchiveFileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private static let chunkSize = 1 << 20

    init(path: String) throws {
        self.path = path
        do {
            handle = try ArchiveFileHandle(forReadingAtPath: path)
        } catch {
            throw EventStoreError(.invalidArgument, "cannot open \(path): \(error)", underlying: error)
        }
    }

    deinit { try? handle.close() }

    /// The next line without its newline; nil at the end of the file.
    /// - Throws: ``EventStoreError/Code/invalidArgument`` for a line longer than the format's
    ///   longest, or a last line without a newline.
    func readLine() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                guard newline - start <= PartitionArchiveFormat.maximumLineLength else { throw malformed("a header line is too long") }
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line
            }
            guard buffer.count - start <= PartitionArchiveFormat.maximumLineLength else { throw malformed("a header line is too long") }
            guard try fill() else {
                if start == buffer.count { return nil }
                throw malformed("the file ends inside a header line")
            }
        }
    }

    /// Reads exactly `count` bytes, handing them over in chunks.
    func read(_ count: Int64, _ body: (ArraySlice<UInt8>) async throws -> Void) async throws {
        var left = count
        while left > 0 {
            if start == buffer.count {
                guard try fill() else { throw malformed("the file ends inside a partition's data") }
            }
            let take = Int(min(Int64(buffer.count - start), left))
            try await body(buffer[start..<(start + take)])
            start += take
            left -= Int64(take)
        }
    }

    /// Skips `count` bytes.
    func skip(_ count: Int64) async throws { try await read(count) { _ in } }

    func malformed(_ what: String) -> EventStoreError {
        EventStoreError(.invalidArgument, "\(path) is not a whole partition archive: \(what)")
    }

    /// Appends the next chunk to the buffer; false at the end of the file.
    private func fill() throws -> Bool {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk: Data?
        do {
            chunk = try handle.read(upToCount: Self.chunkSize)
        } catch {
            throw EventStoreError(.invalidArgument, "cannot read \(path): \(error)", underlying: error)
        }
        guard let chunk, !chunk.isEmpty else { return false }
        buffer.append(contentsOf: chunk)
        return true
    }
}
