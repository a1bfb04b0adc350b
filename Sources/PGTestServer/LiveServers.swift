import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The servers started and not yet stopped, so that a normal exit of the process stops them
/// (through `atexit`) even if the caller forgot.
enum LiveServers {
    private static let servers = Mutex<[ObjectIdentifier: TestServer]>([:])

    /// Registers the exit handler, once.
    private static let exitHandler: Void = {
        atexit { LiveServers.stopAll() }
    }()

    static func add(_ server: TestServer) {
        _ = exitHandler
        servers.withLock { $0[ObjectIdentifier(server)] = server }
    }

    static func remove(_ server: TestServer) {
        _ = servers.withLock { $0.removeValue(forKey: ObjectIdentifier(server)) }
    }

    /// Stops every live server; a server that will not stop is left to its watchdog.
    static func stopAll() {
        let running = servers.withLock { Array($0.values) }
        for server in running {
            try? server.stop()
        }
    }
}
