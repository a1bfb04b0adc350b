#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a file, so that two pgevents commands never start two servers on
/// one cluster: the second waits until the first has stopped its server. The kernel drops the
/// lock when the process ends, however it ends.
final class FolderLock {
    private var descriptor: Int32

    /// Takes the lock on `path` (creating the file), waiting for it if another process holds
    /// it; `waiting` is called once before such a wait.
    init(path: String, waiting: () -> Void) throws(CommandFailure) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandFailure("could not open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
        waiting()
        while flock(descriptor, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw CommandFailure("could not lock \(path): \(message)")
        }
    }

    /// Releases the lock; the process ending does the same.
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
