import Synchronization

extension PGConnection {
    /// Listens on `channel` and returns its notifications as they arrive.
    ///
    /// Sends `LISTEN "channel"` (quoted: the name is used exactly as given, case included) unless
    /// this connection already listens on it; several listeners of one or many channels share
    /// the connection. Notifications are read whenever the connection reads: in the middle of
    /// other queries' results, between pipelined queries, during COPY, and, while nothing else
    /// runs, by a watcher that sleeps on the socket (no polling query, no busy loop). The
    /// connection's other queries keep working meanwhile.
    ///
    /// See ``PGNotificationSequence`` for how the sequence ends: by you, when the connection
    /// ends (with an error: notifications may have been missed), or when the consumer falls
    /// `bufferLimit` notifications, or ``Configuration/Limits/maxNotificationBufferBytes`` of
    /// them, behind (with ``PGError/Code/notificationBufferFull``).
    ///
    /// - Parameters:
    ///   - channel: the channel name, 1 to 63 bytes of UTF-8 (the server's identifier limit;
    ///     a longer name would be truncated by the server and never match).
    ///   - bufferLimit: how many notifications may wait for the consumer.
    /// - Throws: ``PGError/Code/invalidArgument`` for a bad name or limit, or inside a transaction
    ///   block (LISTEN there would only take effect at COMMIT); ``PGError/Code/invalidConfiguration``
    ///   behind a pooler in transaction mode (``Configuration/poolerMode``), whose next
    ///   transaction may run on a server connection that never listened; the server's error if
    ///   LISTEN fails; the connection's error if it has ended.
    public func listen(_ channel: String, bufferLimit: Int = 10_000) async throws -> PGNotificationSequence {
        guard configuration.hasOwnSession else { throw configuration.sessionRequired("LISTEN") }
        let length = channel.utf8.count
        guard (1...63).contains(length), !channel.utf8.contains(0) else {
            throw PGError(.invalidArgument, "a channel name must be 1 to 63 bytes without NUL; this one has \(length)")
        }
        guard bufferLimit > 0 else {
            throw PGError(.invalidArgument, "bufferLimit must be at least 1, not \(bufferLimit)")
        }
        guard transactionStatus == .idle else {
            throw PGError(
                .invalidArgument, "listen() inside a transaction block: LISTEN would take effect only at COMMIT")
        }
        guard !isClosed else { throw PGError(.closed, "the connection is closed") }
        let buffer = NotificationBuffer(limit: bufferLimit, byteLimit: configuration.limits.maxNotificationBufferBytes)
        let id = try notificationHub.add(buffer, channel: channel)
        let listener = PGNotificationSequence.Listener(connection: self, channel: channel, id: id, buffer: buffer)
        startNotificationWatcher()
        do {
            try await reconcileChannel(channel)
        } catch {
            listener.end()
            throw error
        }
        return PGNotificationSequence(listener: listener)
    }

    /// The channels this session listens on, as the server reports them (`pg_listening_channels()`).
    public func listeningChannels() async throws -> [String] {
        var channels: [String] = []
        for row in try await simpleQuery("SELECT pg_listening_channels()").first?.rows ?? [] {
            guard row.count == 1 else {
                throw PGError(.protocolViolation, "pg_listening_channels() answered a row of \(row.count) columns")
            }
            if let name = row.text(at: 0) { channels.append(name) }
        }
        return channels.sorted()
    }

    /// Sends LISTEN or UNLISTEN until the session's channels match the listeners, one command
    /// at a time for the whole connection.
    func reconcileChannel(_ channel: String) async throws {
        await notificationHub.reconcileLock.lock()
        defer { notificationHub.reconcileLock.unlock() }
        while let listen = notificationHub.pendingCommand(for: channel) {
            if isClosed { return }
            let command = (listen ? "LISTEN " : "UNLISTEN ") + PGQuery.quoteIdentifier(channel)
            _ = try await simpleQuery(command, cancellable: false)
            notificationHub.confirm(channel, listening: listen)
        }
    }

    /// A listener ended: forget it, stop the watcher if it was the last, and UNLISTEN its
    /// channel in the background if nobody else listens to it.
    func listenerEnded(_ id: UInt64, channel: String) {
        notificationHub.remove(id, channel: channel)
        if !notificationHub.hasListeners { stopNotificationWatcher() }
        scheduleReconcile(channel)
    }

    func scheduleReconcile(_ channel: String) {
        guard !isClosed, notificationHub.pendingCommand(for: channel) != nil else { return }
        Task { try? await self.reconcileChannel(channel) }
    }

    /// Takes the NotificationResponses (and notices, parameter changes) already buffered after
    /// the end of an answer, so that they do not wait for the next query. Stops at anything
    /// else: that is the next pipelined answer, for its own reader. Call with the read turn held.
    func takeBufferedAsynchronousMessages() {
        while let type = io.decoder.nextMessageType,
            type == UInt8(ascii: "A") || type == UInt8(ascii: "N") || type == UInt8(ascii: "S")
        {
            // A malformed message fails the decoder; the next reader meets the same error.
            guard let message = try? io.decoder.next() else { return }
            try? handleAsynchronous(message)
        }
    }

    // MARK: The idle watcher

    /// Starts the task that reads notifications while no exchange runs, unless it runs.
    func startNotificationWatcher() {
        notificationWatcher.withLock { watcher in
            if watcher != nil { return }
            watcher = Task { await self.watchForNotifications() }
        }
    }

    func stopNotificationWatcher() {
        let task = notificationWatcher.withLock { watcher -> Task<Void, Never>? in
            // Re-checked under the lock: a listener may have arrived since the caller looked.
            if notificationHub.hasListeners { return nil }
            defer { watcher = nil }
            return watcher
        }
        task?.cancel()
    }

    /// Sleeps on the socket (in the poller: no thread held, no query sent) and, when the server
    /// sends something while no exchange is reading, reads it.
    private func watchForNotifications() async {
        let fd = io.socket.fd
        while !Task.isCancelled && !isClosed {
            do {
                try await Poller.shared.wait(fd: fd, writable: false, deadline: nil, cancellable: true)
                try await readWhileIdle()
            } catch {
                return
            }
        }
    }

    /// Reads what the server sent while nothing is in flight. If exchanges are in flight, they
    /// read it themselves; wait until they are done and look again.
    private func readWhileIdle() async throws {
        while !Task.isCancelled {
            await sendLock.lock()
            guard readQueue.isIdle else {
                sendLock.unlock()
                await readQueue.waitUntilIdle()
                continue
            }
            defer { sendLock.unlock() }
            try await takeReadTurnWhileSending(cancellable: false, budget: .unbounded)
            defer { readQueue.advance() }
            do {
                // The server may have sent its last words (a FATAL error) and closed: decode
                // them before reporting the end of the stream, so the error says why.
                var endOfStream: (any Error)?
                do {
                    _ = try io.socket.drainAvailable(into: &io.decoder)
                } catch {
                    endOfStream = error
                }
                if let message = try nextBuffered(io) { throw ListeningMachine.idle(message) }
                if let endOfStream { throw endOfStream }
            } catch {
                throw failExchange(error)
            }
            return
        }
    }
}
