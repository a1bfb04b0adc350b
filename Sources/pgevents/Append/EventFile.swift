import Foundation
import PGEventStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The events of an `--file`: JSON lines, one event per line; blank lines are skipped.
enum EventFile {
    /// Reads the file (`-` for stdin) and parses every line.
    /// - Throws: ``CommandFailure`` naming the file and the first bad line.
    static func events(path: String) throws(CommandFailure) -> [NewEvent] {
        let name = path == "-" ? "stdin" : path
        let bytes = try contents(of: path, name: name)
        var events: [NewEvent] = []
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Array(line)
            if line.last == 0x0D { line.removeLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                events.append(try EventInput.event(line: line))
            } catch {
                throw CommandFailure("\(name), line \(lineNumber): \(error)")
            }
        }
        guard !events.isEmpty else { throw CommandFailure("\(name) holds no events") }
        return events
    }

    private static func contents(of path: String, name: String) throws(CommandFailure) -> [UInt8] {
        let descriptor = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CommandFailure("cannot open \(name): \(String(cString: strerror(errno)))")
        }
        defer { if descriptor != 0 { close(descriptor) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
}
