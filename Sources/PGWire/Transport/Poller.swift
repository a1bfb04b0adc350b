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
/// during such a wait. A descriptor may have several waiters at once (a pipelined connection
/// has a reader and a writer), each for readability, writability or either.
final class Poller: @unchecked Sendable {
    /// Thrown when a wait reaches its deadline first.
    struct DeadlineExceeded: Error {}

    /// What a waiter waits for.
    struct Interest: OptionSet, Sendable {
        let rawValue: UInt32
        static let readable = Interest(rawValue: pgw_EPOLLIN | pgw_EPOLLRDHUP)
        static let writable = Interest(rawValue: pgw_EPOLLOUT)
    }

    /// The process's poller, created on first use. Creating it needs two descriptors and a
    /// thread: a process out of descriptors (EMFILE) gets a typed error, and a later call tries
    /// again.
    static var shared: Poller {
        get throws(PGError) {
            try instance.withLock { (current: inout Poller?) throws(PGError) -> Poller in
                if let current { return current }
                do throws(Sys.Failure) {
                    let created = try Poller()
                    current = created
                    return created
                } catch {
                    throw PGError(.connectionFailed, "PGWire could not create its epoll poller: \(error)", errno: error.errno)
                }
            }
        }
    }

    private static let instance = Mutex<Poller?>(nil)

    private struct Waiter {
        let id: UInt64
        let interest: Interest
        let continuation: CheckedContinuation<Void, any Error>
        let deadline: ContinuousClock.Instant?
    }

    private struct State {
        /// Waiters by descriptor; a descriptor with waiters is armed in epoll (one-shot).
        var waiters: [Int32: [Waiter]] = [:]
        /// Descriptors added to the epoll set. One stays there, disarmed, between waits, so a
        /// wait costs one `epoll_ctl` (re-arm) rather than two (add, then delete): a query that
        /// suspends on its read waits once per round trip. Closing a descriptor takes it out of
        /// the set in the kernel; a number reused for a new socket is then added again (see
        /// ``arm(_:events:state:)``).
        var added: Set<Int32> = []
        var nextID: UInt64 = 0
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())
    private static let wakeToken: UInt64 = .max
    /// Errors and hang-ups wake every waiter of the descriptor.
    private static let failureEvents: UInt32 = 0x008 | 0x010  // EPOLLERR | EPOLLHUP

    private init() throws(Sys.Failure) {
        epollFD = try Sys.epollCreate()
        do {
            wakeFD = try Sys.eventFD()
        } catch {
            Sys.close(epollFD)
            throw error
        }
        do {
            try Sys.epollControl(epollFD, pgw_EPOLL_CTL_ADD, wakeFD, events: pgw_EPOLLIN, data: Self.wakeToken)
        } catch {
            Sys.close(epollFD)
            Sys.close(wakeFD)
            throw error
        }
        var thread = pthread_t()
        let unmanaged = Unmanaged.passRetained(self)
        let status = pthread_create(&thread, nil, { argument in
            let poller = Unmanaged<Poller>.fromOpaque(argument!).takeRetainedValue()
            poller.run()
            return nil
        }, unmanaged.toOpaque())
        if status != 0 {
            unmanaged.release()
            Sys.close(epollFD)
            Sys.close(wakeFD)
            throw Sys.Failure(call: "pthread_create", errno: status)
        }
        pthread_detach(thread)
    }

    /// Suspends the calling task until `fd` is readable (or writable), the deadline passes
    /// (throws ``DeadlineExceeded``), or, when `cancellable`, the task is cancelled (throws
    /// `CancellationError`).
    func wait(
        fd: Int32, writable: Bool, deadline: ContinuousClock.Instant?, cancellable: Bool
    ) async throws {
        try await wait(fd: fd, for: writable ? .writable : .readable, deadline: deadline, cancellable: cancellable)
    }

    /// Suspends until `fd` shows any of `interest`.
    func wait(
        fd: Int32, for interest: Interest, deadline: ContinuousClock.Instant?, cancellable: Bool
    ) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                register(Waiter(id: id, interest: interest, continuation: continuation, deadline: deadline), fd: fd)
                if cancellable && Task.isCancelled { finish(fd: fd, id: id, with: CancellationError()) }
            }
        } onCancel: {
            if cancellable { finish(fd: fd, id: id, with: CancellationError()) }
        }
    }

    private func register(_ waiter: Waiter, fd: Int32) {
        let failure: (any Error)? = state.withLock { state in
            var list = state.waiters[fd] ?? []
            list.append(waiter)
            do {
                // With other waiters already there, this widens the armed mask.
                try arm(fd, events: Self.mask(list), state: &state)
            } catch {
                return error
            }
            state.waiters[fd] = list
            return nil
        }
        if let failure {
            waiter.continuation.resume(throwing: failure)
        } else if waiter.deadline != nil {
            // The poller may be sleeping with a later timeout: wake it to recompute.
            Sys.signalEventFD(wakeFD)
        }
    }

    /// Arms `fd` one-shot for `events`: a re-arm of a descriptor in the set, else an add. The
    /// kernel checks readiness when arming, so data that arrived before this call still wakes.
    /// What `added` says may be stale (the descriptor was closed and its number reused, or
    /// never added): the other operation is then tried.
    private func arm(_ fd: Int32, events: UInt32, state: inout State) throws {
        let data = UInt64(UInt32(bitPattern: fd))
        let inSet = state.added.contains(fd)
        let code = Sys.epollControlErrno(epollFD, inSet ? pgw_EPOLL_CTL_MOD : pgw_EPOLL_CTL_ADD, fd, events: events, data: data)
        if code == (inSet ? ENOENT : EEXIST) {
            try Sys.epollControl(epollFD, inSet ? pgw_EPOLL_CTL_ADD : pgw_EPOLL_CTL_MOD, fd, events: events, data: data)
        } else if code != 0 {
            throw Sys.Failure(call: "epoll_ctl", errno: code)
        }
        if !inSet { state.added.insert(fd) }
    }

    private static func mask(_ waiters: [Waiter]) -> UInt32 {
        waiters.reduce(pgw_EPOLLONESHOT) { $0 | $1.interest.rawValue }
    }

    /// Resumes the waiters of `fd` selected by `select` (all when nil), re-arming the descriptor
    /// for the rest or removing it from epoll when none is left.
    private func resume(fd: Int32, where select: (Waiter) -> Bool, with error: (any Error)?) {
        let resumed: [Waiter] = state.withLock { state in
            guard let list = state.waiters[fd] else { return [] }
            let chosen = list.filter(select)
            let rest = list.filter { !select($0) }
            if rest.isEmpty {
                // Left in the set: disarmed if an event fired; if a cancelled or expired wait
                // leaves it armed, a later event finds no waiter here and is dropped.
                state.waiters[fd] = nil
            } else {
                state.waiters[fd] = rest
                try? arm(fd, events: Self.mask(rest), state: &state)
            }
            return chosen
        }
        for waiter in resumed {
            if let error {
                waiter.continuation.resume(throwing: error)
            } else {
                waiter.continuation.resume()
            }
        }
    }

    private func finish(fd: Int32, id: UInt64, with error: any Error) {
        resume(fd: fd, where: { $0.id == id }, with: error)
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
                let ready = events[index]
                let everyone = ready & Self.failureEvents != 0
                resume(fd: fd, where: { everyone || $0.interest.rawValue & ready != 0 }, with: nil)
            }
            expireDeadlines()
        }
    }

    private func millisecondsToEarliestDeadline() -> Int32 {
        let earliest = state.withLock { state in
            state.waiters.values.lazy.flatMap { $0 }.compactMap(\.deadline).min()
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
            state.waiters.flatMap { fd, list in
                list.filter { $0.deadline.map { $0 <= now } ?? false }.map { (fd, $0.id) }
            }
        }
        for (fd, id) in expired {
            finish(fd: fd, id: id, with: DeadlineExceeded())
        }
    }
}
