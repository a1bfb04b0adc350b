#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread running a closure, for the fake server's blocking socket loops.
///
/// The fake server must never block Swift's cooperative pool (two threads on the test hosts):
/// a listener parked in `poll` there would starve the very client it serves. So every loop of
/// ``ScriptedServer`` runs on a thread of its own, joined when the server stops.
struct FakeThread: Sendable {
    private let handle: pthread_t

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        self.handle = handle
    }

    /// Waits until the thread's closure returned. Call once.
    func join() { pthread_join(handle, nil) }
}
