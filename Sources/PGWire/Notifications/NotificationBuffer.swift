import Synchronization

/// One listener's notifications between the connection that reads them and the task that
/// consumes them: bounded in count and in bytes, first in first out.
///
/// The connection pushes without waiting (it must never stall its other queries for a slow
/// consumer). When a push finds the buffer full, the buffer ends: the consumer still gets every
/// notification buffered so far, then ``PGError/Code/notificationBufferFull``. Dropping silently
/// would hide a gap from a caller that must re-read what it missed; growing without a bound
/// would let one stuck consumer exhaust memory.
final class NotificationBuffer: Sendable {
    private struct State {
        var items: [PGNotification] = []
        var head = 0
        var waiter: CheckedContinuation<PGNotification?, any Error>?
        /// Set once: nil ends the sequence normally, an error ends it with that error.
        var end: PGError??
        var count: Int { items.count - head }
        /// The bytes of the buffered notifications' channels and payloads.
        var bytes = 0
    }

    let limit: Int
    let byteLimit: Int
    private let state = Mutex(State())

    init(limit: Int, byteLimit: Int = Int.max) {
        self.limit = limit
        self.byteLimit = byteLimit
    }

    private static func size(_ notification: PGNotification) -> Int {
        notification.channel.utf8.count + notification.payload.utf8.count
    }

    /// Adds a notification; returns false if the buffer has ended (now or before).
    @discardableResult
    func push(_ notification: PGNotification) -> Bool {
        enum Outcome { case resume(CheckedContinuation<PGNotification?, any Error>), stored, ended }
        let outcome = state.withLock { state -> Outcome in
            if state.end != nil { return .ended }
            if let waiter = state.waiter {
                state.waiter = nil
                return .resume(waiter)
            }
            let size = Self.size(notification)
            if state.count >= limit || state.bytes + size > byteLimit {
                let behind = state.count >= limit ? "\(limit) notifications" : "\(state.bytes) bytes of notifications"
                state.end = .some(PGError(
                    .notificationBufferFull,
                    "the listener on \"\(notification.channel)\" fell \(behind) behind and was ended; "
                        + "notifications after the buffered ones were not kept"))
                return .ended
            }
            if state.head > 0 && state.head * 2 >= state.items.count {
                state.items.removeFirst(state.head)
                state.head = 0
            }
            state.items.append(notification)
            state.bytes += size
            return .stored
        }
        switch outcome {
        case .resume(let waiter):
            waiter.resume(returning: notification)
            return true
        case .stored:
            return true
        case .ended:
            return false
        }
    }

    /// Ends the buffer: the consumer gets what is buffered, then nil (`error` nil) or `error`.
    /// Only the first end counts.
    func finish(_ error: PGError?) {
        let waiter = state.withLock { state -> CheckedContinuation<PGNotification?, any Error>? in
            if state.end != nil { return nil }
            state.end = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        guard let waiter else { return }
        if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
    }

    /// True once the buffer was ended (whatever is still buffered can be read).
    var isEnded: Bool { state.withLock { $0.end != nil } }

    /// The next notification, waiting for one if none is buffered; nil at the end. Cancelling
    /// the waiting task ends the buffer (nil), as ending an AsyncStream does.
    func next() async throws -> PGNotification? {
        enum Immediate { case item(PGNotification), end(PGError?), wait }
        let immediate = state.withLock { state -> Immediate in
            if state.head < state.items.count {
                defer { state.head += 1 }
                state.bytes -= Self.size(state.items[state.head])
                return .item(state.items[state.head])
            }
            if let end = state.end { return .end(end) }
            return .wait
        }
        switch immediate {
        case .item(let item): return item
        case .end(let error?): throw error
        case .end(nil): return nil
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PGNotification?, any Error>) in
                enum Now { case item(PGNotification), end(PGError?), parked }
                let now = state.withLock { state -> Now in
                    if state.head < state.items.count {
                        defer { state.head += 1 }
                        state.bytes -= Self.size(state.items[state.head])
                        return .item(state.items[state.head])
                    }
                    if let end = state.end { return .end(end) }
                    state.waiter = continuation
                    return .parked
                }
                switch now {
                case .item(let item): continuation.resume(returning: item)
                case .end(let error?): continuation.resume(throwing: error)
                case .end(nil): continuation.resume(returning: nil)
                case .parked: break
                }
            }
        } onCancel: {
            finish(nil)
        }
    }
}
