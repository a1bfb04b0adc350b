import Logging
import Synchronization

extension PGConnection {
    /// Asks the server to cancel the statement this connection is running, with a CancelRequest
    /// sent on a new socket (the protocol's only way to interrupt a running statement).
    ///
    /// When this connection is encrypted, so is the request (as libpq 17's cancel API does): it
    /// goes over TLS negotiated as the connection's was, so the cancel key never travels in
    /// plaintext.
    ///
    /// The statement then fails with SQLSTATE 57014 (`query_canceled`) and the connection stays
    /// usable. As in libpq, the request may arrive after the statement finished, in which case it
    /// does nothing, or (rarely) cancel the statement that follows. Cancelling the task that
    /// awaits a query sends a CancelRequest too; that task then throws `CancellationError`
    /// instead of the server's error, as every PGWire call does when its task is cancelled.
    public func cancel() async throws {
        guard let key = backendKeyData else {
            throw PGError(.protocolViolation, "the server sent no BackendKeyData, so its statements cannot be cancelled")
        }
        // The whole request is bounded (connect, send, and waiting for the server to close):
        // by connect_timeout, else by the cancel grace, and it ends at once if the task is cancelled.
        let limit = configuration.connectTimeout ?? configuration.cancelGrace
        let deadline = ContinuousClock.now.advanced(by: limit)
        let (socket, _) = try await Socket.connect(to: server.endpoint, timeout: limit, options: configuration.socketOptions)
        defer { socket.close() }
        if io.socket.tls != nil {
            let attempt: TLSAttempt = configuration.tls.negotiation == .direct ? .direct : .request(required: true)
            try await Self.negotiateTLS(on: socket, attempt, server: server, configuration, deadline: deadline)
        }
        var encoder = FrontendMessageEncoder()
        encoder.cancelRequest(processID: key.processID, secretKey: key.secretKey)
        do {
            try await socket.writeAll(encoder.buffer, deadline: deadline)
        } catch is Poller.DeadlineExceeded {
            throw PGError(.timeout, "the cancel request to \(server) could not be sent within \(limit)")
        } catch is CancellationError {
            throw CancellationError()
        }
        // The server closes the socket once it has read the request; waiting for that makes
        // sure the request was delivered before we return (libpq does the same).
        await socket.awaitPeerClose(deadline: deadline)
        logger.debug("cancel request sent", metadata: ["pid": "\(key.processID)"])
    }

    /// Sends a CancelRequest from a separate task if an exchange is running; used by task
    /// cancellation handlers, which must not block.
    func cancelInBackground() {
        // Something to cancel only while a request is in flight.
        guard !readQueue.isIdle, !closedFlag.load(ordering: .acquiring) else { return }
        Task {
            do {
                try await self.cancel()
            } catch {
                self.logger.debug("cancel request failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension PGConnection {
    /// Sets the server's `statement_timeout` for the rest of this session: a statement that
    /// runs longer fails with SQLSTATE 57014. `nil` (or zero) turns the timeout off.
    public func setStatementTimeout(_ timeout: Duration?) async throws {
        var milliseconds: Int64 = 0
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        }
        _ = try await simpleQuery("SET statement_timeout = \(milliseconds)")
    }
}
