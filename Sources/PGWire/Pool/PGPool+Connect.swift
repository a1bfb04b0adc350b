import CoreMetrics
import Logging

extension PGPool {
    /// Opens a connection in a task of its own, for the waiter whose `deadline` bounds it (nil
    /// for warm-up connects).
    ///
    /// A task rather than the acquiring task itself: a server that accepts the TCP connection
    /// but never answers the login would hold the acquire past its timeout, as the connect
    /// timeout covers only the socket connect. The waiter's own deadline fails it on time; the
    /// connect finishes (or fails) in the background and its connection serves the next waiter.
    func startConnect(until deadline: ContinuousClock.Instant?) {
        Task { await self.openConnection(until: deadline) }
    }

    private func openConnection(until deadline: ContinuousClock.Instant?) async {
        var configuration = self.configuration.connection
        if let readSpin = self.configuration.readSpin { configuration.readSpin = readSpin }
        if let yieldAfterSend = self.configuration.yieldAfterSend { configuration.yieldAfterSend = yieldAfterSend }
        if let deadline {
            let remaining = max(deadline - .now, .milliseconds(1))
            configuration.connectTimeout = min(configuration.connectTimeout ?? remaining, remaining)
        }
        let effects: Machine.Effects
        do {
            let connection = try await PGConnection.connect(configuration, logger: logger, noticeHandler: noticeHandler)
            metrics.created.increment()
            logger.debug("pool opened a connection", metadata: ["pid": "\(connection.processID ?? 0)"])
            (_, effects) = update { machine, effects in machine.connected(connection, now: .now, effects: &effects) }
        } catch {
            let failure = connectError(error)
            logger.debug("pool could not open a connection", metadata: ["error": "\(failure)"])
            (_, effects) = update { machine, effects in machine.connectFailed(failure, effects: &effects) }
        }
        if !effects.isEmpty { await perform(effects) }
    }
}
