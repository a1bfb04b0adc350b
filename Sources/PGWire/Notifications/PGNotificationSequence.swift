import Synchronization

/// The notifications of one channel, from ``PGConnection/listen(_:bufferLimit:)``.
///
/// ```swift
/// let orders = try await connection.listen("orders")
/// for try await notification in orders {
///     print(notification.processID, notification.payload)
/// }
/// ```
///
/// How it ends:
/// - You stop: leaving the loop and dropping the sequence, cancelling the iterating task (the
///   loop then ends without an error), or ``stop()``. When the last listener of a channel is
///   gone, the connection sends `UNLISTEN` for it.
/// - The connection ends: when it breaks (the server went away, its backend was terminated)
///   or is closed, the sequence throws a ``PGError`` after the notifications received before.
///   Notifications sent after that point were not received: re-read whatever they announce.
/// - The consumer falls behind: each listener buffers at most `bufferLimit` notifications. When
///   one more arrives, the sequence ends with ``PGError/Code/notificationBufferFull`` after the
///   buffered ones, so a gap is never silent and memory stays bounded.
///
/// Iterate it once, from one task.
public struct PGNotificationSequence: AsyncSequence, Sendable {
    public typealias Element = PGNotification
    public typealias Failure = any Error

    let listener: Listener

    /// The channel listened to.
    public var channel: String { listener.channel }

    public func makeAsyncIterator() -> Iterator { Iterator(listener: listener) }

    /// Ends this listener now (its iteration returns nil after what is buffered) and, if it was
    /// the channel's last, waits until the server has confirmed `UNLISTEN`.
    public func stop() async {
        listener.end()
        try? await listener.connection.reconcileChannel(listener.channel)
    }

    /// Returns the channel's notifications in the order they arrived. After the buffered ones it
    /// returns nil once the listener was stopped (``PGNotificationSequence/stop()``, or the
    /// iterating task was cancelled), and throws a ``PGError`` once the connection ended or the
    /// buffer overflowed.
    public struct Iterator: AsyncIteratorProtocol {
        let listener: Listener

        public mutating func next() async throws -> PGNotification? {
            try await listener.next()
        }

        /// Runs on the caller's actor, with no hop to the global pool per notification.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> PGNotification? {
            try await listener.next()
        }
    }

    /// One registered listener: its buffer, and the registration that ends with it (explicitly,
    /// at the end of iteration, or when the last reference goes).
    final class Listener: Sendable {
        let connection: PGConnection
        let channel: String
        let id: UInt64
        let buffer: NotificationBuffer
        private let ended = Atomic(false)

        init(connection: PGConnection, channel: String, id: UInt64, buffer: NotificationBuffer) {
            self.connection = connection
            self.channel = channel
            self.id = id
            self.buffer = buffer
        }

        deinit { end() }

        func next() async throws -> PGNotification? {
            do {
                if let notification = try await buffer.next() { return notification }
            } catch {
                end()
                throw error
            }
            end()
            return nil
        }

        /// Unregisters (once); the connection UNLISTENs in the background if it was the last.
        func end() {
            if ended.exchange(true, ordering: .acquiringAndReleasing) { return }
            buffer.finish(nil)
            connection.listenerEnded(id, channel: channel)
        }
    }
}
