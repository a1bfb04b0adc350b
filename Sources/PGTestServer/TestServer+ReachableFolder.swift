import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension TestServer {
    /// A new, empty folder `/tmp/<prefix>XXXXXX` of mode 0755, so that the server's user
    /// (`postgres`, when running as root) can reach a data folder made inside it: for tests
    /// and tools that keep a cluster in a folder of their own. The caller deletes it.
    public static func makeReachableFolder(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else {
            throw TestServerError("could not create a folder in /tmp: \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o755)
        return path
    }
}
