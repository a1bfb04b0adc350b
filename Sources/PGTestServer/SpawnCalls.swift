import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The glibc calls ``ChildProcess`` needs that Swift's Glibc module does not declare
/// (`posix_spawn_file_actions_addclosefrom_np`, `posix_spawn_file_actions_addchdir_np`,
/// `pipe2`: they sit behind feature-test macros), looked up at run time.
///
/// Debian 12's glibc (2.36) has all three; `nil` means an older C library.
enum SpawnCalls {
    typealias FileActions = UnsafeMutablePointer<posix_spawn_file_actions_t>

    /// `posix_spawn_file_actions_addclosefrom_np(actions, lowest)`: glibc 2.34 and later.
    static let addCloseFrom: (@convention(c) (FileActions, Int32) -> Int32)? = symbol(
        "posix_spawn_file_actions_addclosefrom_np")

    /// `posix_spawn_file_actions_addchdir_np(actions, path)`: glibc 2.29 and later.
    static let addChdir: (@convention(c) (FileActions, UnsafePointer<CChar>) -> Int32)? = symbol(
        "posix_spawn_file_actions_addchdir_np")

    /// `pipe2(ends, flags)`.
    private static let pipe2: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32)? = symbol("pipe2")

    private static func symbol<T>(_ name: String) -> T? {
        #if canImport(Glibc)
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: T.self)
        #else
        return nil
        #endif
    }

    /// A pipe whose both ends are close-on-exec: `(read, write)`. Atomically so with `pipe2`;
    /// without it, a child spawned by another thread in between could inherit an end, which
    /// matters only to children not started by ``ChildProcess`` (it closes them anyway).
    static func makePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        let result = ends.withUnsafeMutableBufferPointer { buffer in
            if let pipe2 { return pipe2(buffer.baseAddress!, O_CLOEXEC) }
            guard pipe(buffer.baseAddress!) == 0 else { return -1 }
            for end in buffer { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            return 0
        }
        guard result == 0 else {
            throw TestServerError("pipe failed: \(String(cString: strerror(errno)))")
        }
        return (ends[0], ends[1])
    }

    /// Our open descriptors from 3 up that a child would inherit (not close-on-exec), for
    /// closing them in a child when `addclosefrom_np` is missing.
    ///
    /// Reads `/proc/self/fd`, taking each name only up to its terminating zero: copying the
    /// whole `d_name` array, as Foundation's `Process` in Swift 6.3.1 does, reads past the end
    /// of glibc's buffer when the entry is the last one in it, and crashes now and then.
    static func inheritableDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let listing = dirfd(directory)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var found: [Int32] = []
        while let entry = readdir(directory) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            guard let descriptor = Int32(name), descriptor > 2, descriptor != listing else { continue }
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { found.append(descriptor) }
        }
        return found
    }
}

extension ChildProcess {
    /// Whether children get every descriptor from 3 up closed by `addclosefrom_np` (rather than
    /// by the list of ``inheritableDescriptors``).
    @_spi(Testing)
    public static var closesDescriptorsFromThree: Bool { SpawnCalls.addCloseFrom != nil }

    /// Our descriptors a child would inherit, as the fallback closing lists them.
    @_spi(Testing)
    public static var inheritableDescriptors: [Int32] { SpawnCalls.inheritableDescriptors() }
}
