#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPGSystem
import Synchronization

/// One background thread with an epoll set that resumes tasks waiting for a socket.
///
/// Queries do their socket I/O on the calling task's thread and only come here when a wait may
/// be long (a slow query, a connect, a full send buffer): the task suspends, and the poller
/// resumes it when the descriptor is ready or its deadline passes. No cooperative thread is held
/// during such a wait.
final class Poller: @unchecked Sendable {
    /// Thrown when a wait reaches its deadline first.
    struct DeadlineExceeded: Error {}

    static let shared: Poller = {
        do {
            return try Poller()
        } catch {
            // epoll_create1/eventfd fail only when the process is out of descriptors at start-up.
            fatalError("PGWire could not create its epoll poller: \(error)")
        }
    }()

    private struct Waiter {
        let generation: UInt32
        let continuation: CheckedContinuation<Void, any Error>
        let deadline: ContinuousClock.Instant?
    }

    private struct State {
        var waiters: [Int32: Waiter] = [:]
        var generation: UInt32 = 0
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())
    private static let wakeToken: UInt64 = .max

    private init() throws {
        epollFD = try Sys.epollCreate()
        wakeFD = try Sys.eventFD()
        try Sys.epollControl(epollFD, pgw_EPOLL_CTL_ADD, wakeFD, events: pgw_EPOLLIN, data: Self.wakeToken)
        var thread = pthread_t()
        let unmanaged = Unmanaged.passRetained(self)
        let status = pthread_create(&thread, nil, { argument in
            let poller = Unmanaged<Poller>.fromOpaque(argument!).takeRetainedValue()
            poller.run()
            return nil
        }, unmanaged.toOpaque())
        if status != 0 {
            unmanaged.release()
            throw Sys.Failure(call: "pthread_create", errno: status)
        }
        pthread_detach(thread)
    }

    /// Suspends the calling task until `fd` is readable (or writable), the deadline passes
    /// (throws ``DeadlineExceeded``), or, when `cancellable`, the task is cancelled (throws
    /// `CancellationError`). One waiter per descriptor at a time.
    func wait(
        fd: Int32, writable: Bool, deadline: ContinuousClock.Instant?, cancellable: Bool
    ) async throws {
        let events = (writable ? pgw_EPOLLOUT : pgw_EPOLLIN) | pgw_EPOLLONESHOT
            | pgw_EPOLLRDHUP
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                register(fd: fd, events: events, deadline: deadline, continuation: continuation)
                if cancellable && Task.isCancelled { finish(fd: fd, with: CancellationError()) }
            }
        } onCancel: {
            if cancellable { finish(fd: fd, with: CancellationError()) }
        }
    }

    private func register(
        fd: Int32, events: UInt32, deadline: ContinuousClock.Instant?,
        continuation: CheckedContinuation<Void, any Error>
    ) {
        let failure: (any Error)? = state.withLock { state in
            if state.waiters[fd] != nil {
                return Sys.Failure(call: "poller: descriptor already has a waiter", errno: EBUSY)
            }
            state.generation &+= 1
            let generation = state.generation
            let data = UInt64(UInt32(bitPattern: fd)) | (UInt64(generation) << 32)
            do {
                try Sys.epollControl(epollFD, pgw_EPOLL_CTL_ADD, fd, events: events, data: data)
            } catch {
                return error
            }
            state.waiters[fd] = Waiter(generation: generation, continuation: continuation, deadline: deadline)
            return nil
        }
        if let failure {
            continuation.resume(throwing: failure)
        } else if deadline != nil {
            // The poller may be sleeping with a later timeout: wake it to recompute.
            Sys.signalEventFD(wakeFD)
        }
    }

    /// Removes the waiter of `fd`, if any, and resumes it with `error` (or success when nil).
    private func finish(fd: Int32, generation: UInt32? = nil, with error: (any Error)?) {
        let waiter: Waiter? = state.withLock { state in
            guard let waiter = state.waiters[fd] else { return nil }
            if let generation, waiter.generation != generation { return nil }
            state.waiters[fd] = nil
            try? Sys.epollControl(epollFD, pgw_EPOLL_CTL_DEL, fd, events: 0, data: 0)
            return waiter
        }
        guard let waiter else { return }
        if let error {
            waiter.continuation.resume(throwing: error)
        } else {
            waiter.continuation.resume()
        }
    }

    private func run() {
        let capacity = 64
        let data = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        let events = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: capacity)
        defer {
            data.deallocate()
            events.deallocate()
        }
        while true {
            let timeout = millisecondsToEarliestDeadline()
            let count: Int
            do {
                count = try Sys.epollWait(epollFD, data: data, events: events, timeoutMilliseconds: timeout)
            } catch {
                continue
            }
            for index in 0..<count {
                let token = data[index]
                if token == Self.wakeToken {
                    Sys.drainEventFD(wakeFD)
                    continue
                }
                let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
                let generation = UInt32(truncatingIfNeeded: token >> 32)
                finish(fd: fd, generation: generation, with: nil)
            }
            expireDeadlines()
        }
    }

    private func millisecondsToEarliestDeadline() -> Int32 {
        let earliest = state.withLock { state in
            state.waiters.values.compactMap(\.deadline).min()
        }
        guard let earliest else { return -1 }
        let remaining = ContinuousClock.now.duration(to: earliest)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: milliseconds)
    }

    private func expireDeadlines() {
        let now = ContinuousClock.now
        let expired = state.withLock { state in
            state.waiters.filter { $0.value.deadline.map { $0 <= now } ?? false }.map { ($0.key, $0.value.generation) }
        }
        for (fd, generation) in expired {
            finish(fd: fd, generation: generation, with: DeadlineExceeded())
        }
    }
}
