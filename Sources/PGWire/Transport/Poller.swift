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
        /// Unsafe rather than checked: a waiter leaves `State.slots` under the lock before it is
        /// resumed, so it is resumed exactly once, and a checked continuation costs an allocation
        /// on every wait.
        let continuation: UnsafeContinuation<Void, any Error>
        let deadline: ContinuousClock.Instant?
    }

    /// The waiters of one descriptor and the version of their interest mask.
    private struct Slot {
        var waiters: [Waiter] = []
        /// A new number (from `State.generations`, never reused, not even by a later slot of the
        /// same descriptor) whenever `waiters` changes in a way that needs the descriptor
        /// re-armed: whoever armed with an older one arms again (see ``arm(_:generation:mask:)``),
        /// so arms made outside the lock cannot leave a stale mask behind.
        var generation: UInt64 = 0
        var mask: UInt32 { waiters.reduce(pgw_EPOLLONESHOT) { $0 | $1.interest.rawValue } }
    }

    private struct State {
        /// Waiters by descriptor; a descriptor with waiters is armed in epoll (one-shot).
        var slots: [Int32: Slot] = [:]
        /// Descriptors added to the epoll set. One stays there, disarmed, between waits, so a
        /// wait costs one `epoll_ctl` (re-arm) rather than two (add, then delete): a query that
        /// suspends on its read waits once per round trip. Closing a descriptor takes it out of
        /// the set in the kernel; a number reused for a new socket is then added again (see
        /// ``arm(_:generation:mask:)``).
        var added: Set<Int32> = []
        /// The last ``Slot/generation`` handed out.
        var generations: UInt64 = 0
        /// Waiters with a deadline: the poller thread looks for the earliest only when there is one.
        var deadlines = 0
        /// When the poller thread will wake by itself (nil: only for an event), so that a new
        /// deadline wakes it only when it is earlier.
        var wakeTarget: ContinuousClock.Instant?
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())
    /// Wait ids come from an atomic, not the lock: one lock round less per wait.
    private let nextID = Atomic<UInt64>(0)
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
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                register(Waiter(id: id, interest: interest, continuation: continuation, deadline: deadline), fd: fd)
                if cancellable && Task.isCancelled { finish(fd: fd, id: id, with: CancellationError()) }
            }
        } onCancel: {
            if cancellable { finish(fd: fd, id: id, with: CancellationError()) }
        }
    }

    /// Adds the waiter and arms the descriptor for it. The `epoll_ctl` runs outside the lock:
    /// under it, the poller thread resuming other waiters had to wait out a system call.
    private func register(_ waiter: Waiter, fd: Int32) {
        let (generation, mask, wake) = state.withLock { state -> (UInt64, UInt32, Bool) in
            var slot = state.slots.removeValue(forKey: fd) ?? Slot()
            slot.waiters.append(waiter)
            state.generations &+= 1
            slot.generation = state.generations
            let result = (slot.generation, slot.mask)
            state.slots[fd] = slot
            guard let deadline = waiter.deadline else { return (result.0, result.1, false) }
            state.deadlines += 1
            // The poller may be sleeping with a later timeout (or none): wake it to recompute.
            let wake = state.wakeTarget.map { deadline < $0 } ?? true
            if wake { state.wakeTarget = deadline }
            return (result.0, result.1, wake)
        }
        do {
            try arm(fd, generation: generation, mask: mask)
        } catch {
            // Taken out unless a cancellation or another failure did so first.
            if let failed = take(fd: fd, where: { $0.id == waiter.id }).first { failed.continuation.resume(throwing: error) }
            return
        }
        if wake { Sys.signalEventFD(wakeFD) }
    }

    /// Arms `fd` one-shot for `mask`: a re-arm of a descriptor in the set, else an add. The
    /// kernel checks readiness when arming, so data that arrived before this call still wakes.
    /// What `added` says may be stale (the descriptor was closed and its number reused, or
    /// never added): the other operation is then tried. When the waiters changed meanwhile
    /// (`generation` is no longer the slot's), it arms again with their mask: two arms racing
    /// outside the lock must not leave the older mask in place.
    private func arm(_ fd: Int32, generation: UInt64, mask: UInt32) throws {
        var generation = generation
        var mask = mask
        while true {
            let inSet = state.withLock { state in !state.added.insert(fd).inserted }
            let data = UInt64(UInt32(bitPattern: fd))
            let code = Sys.epollControlErrno(epollFD, inSet ? pgw_EPOLL_CTL_MOD : pgw_EPOLL_CTL_ADD, fd, events: mask, data: data)
            if code == (inSet ? ENOENT : EEXIST) {
                try Sys.epollControl(epollFD, inSet ? pgw_EPOLL_CTL_ADD : pgw_EPOLL_CTL_MOD, fd, events: mask, data: data)
            } else if code != 0 {
                throw Sys.Failure(call: "epoll_ctl", errno: code)
            }
            let newer = state.withLock { state -> (UInt64, UInt32)? in
                guard let slot = state.slots[fd], slot.generation != generation else { return nil }
                return (slot.generation, slot.mask)
            }
            guard let newer else { return }
            (generation, mask) = newer
        }
    }

    /// Takes the waiters of `fd` that `select` picks out of the table, and says how to re-arm
    /// the descriptor for the rest (nil when none is left). Only with the lock held.
    private static func take(
        _ fd: Int32, where select: (Waiter) -> Bool, from state: inout State
    ) -> (taken: [Waiter], rearm: (generation: UInt64, mask: UInt32)?) {
        guard var slot = state.slots.removeValue(forKey: fd) else { return ([], nil) }
        // The common case, one waiter that is picked: no arrays to filter.
        if slot.waiters.count == 1, select(slot.waiters[0]) {
            if slot.waiters[0].deadline != nil { state.deadlines -= 1 }
            return (slot.waiters, nil)
        }
        var taken: [Waiter] = []
        slot.waiters.removeAll { waiter in
            guard select(waiter) else { return false }
            taken.append(waiter)
            if waiter.deadline != nil { state.deadlines -= 1 }
            return true
        }
        // Left in the set when empty: disarmed if an event fired; if a cancelled or expired wait
        // leaves it armed, a later event finds no waiter here and is dropped.
        guard !slot.waiters.isEmpty else { return (taken, nil) }
        if !taken.isEmpty {
            state.generations &+= 1
            slot.generation = state.generations
        }
        state.slots[fd] = slot
        return (taken, taken.isEmpty ? nil : (slot.generation, slot.mask))
    }

    /// Takes the waiters of `fd` that `select` picks, re-arming the descriptor for the rest.
    private func take(fd: Int32, where select: (Waiter) -> Bool) -> [Waiter] {
        let (taken, rearm) = state.withLock { state in Self.take(fd, where: select, from: &state) }
        if let rearm { try? arm(fd, generation: rearm.generation, mask: rearm.mask) }
        return taken
    }

    private func finish(fd: Int32, id: UInt64, with error: any Error) {
        for waiter in take(fd: fd, where: { $0.id == id }) { waiter.continuation.resume(throwing: error) }
    }

    private func run() {
        let capacity = 64
        let data = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        let events = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: capacity)
        defer {
            data.deallocate()
            events.deallocate()
        }
        var ready: [Waiter] = []
        var rearms: [(fd: Int32, generation: UInt64, mask: UInt32)] = []
        while true {
            let timeout = millisecondsToEarliestDeadline()
            let count: Int
            do {
                count = try Sys.epollWait(epollFD, data: data, events: events, timeoutMilliseconds: timeout)
            } catch {
                continue
            }
            // Every event of the batch under one lock round.
            state.withLock { state in
                for index in 0..<count {
                    let token = data[index]
                    if token == Self.wakeToken { continue }
                    let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
                    let fired = events[index]
                    let everyone = fired & Self.failureEvents != 0
                    let (taken, rearm) = Self.take(fd, where: { everyone || $0.interest.rawValue & fired != 0 }, from: &state)
                    ready += taken
                    if let rearm { rearms.append((fd, rearm.generation, rearm.mask)) }
                }
            }
            for index in 0..<count where data[index] == Self.wakeToken { Sys.drainEventFD(wakeFD) }
            for rearm in rearms { try? arm(rearm.fd, generation: rearm.generation, mask: rearm.mask) }
            for waiter in ready { waiter.continuation.resume() }
            ready.removeAll(keepingCapacity: true)
            rearms.removeAll(keepingCapacity: true)
            expireDeadlines()
        }
    }

    /// The epoll timeout: until the earliest deadline, or forever when no waiter has one.
    private func millisecondsToEarliestDeadline() -> Int32 {
        let earliest = state.withLock { state -> ContinuousClock.Instant? in
            let earliest = state.deadlines == 0 ? nil : state.slots.values.lazy.flatMap(\.waiters).compactMap(\.deadline).min()
            state.wakeTarget = earliest
            return earliest
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
        let expired = state.withLock { state -> [(Int32, UInt64)] in
            guard state.deadlines > 0 else { return [] }
            return state.slots.flatMap { fd, slot in
                slot.waiters.filter { $0.deadline.map { $0 <= now } ?? false }.map { (fd, $0.id) }
            }
        }
        for (fd, id) in expired {
            finish(fd: fd, id: id, with: DeadlineExceeded())
        }
    }
}
