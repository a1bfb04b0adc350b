extension PGPool {
    /// The error an acquire throws for `failure`; every one names the server, so that a log
    /// line says which database could not be reached.
    func error(for failure: PoolFailure) -> PGError {
        let server = configuration.serverDescription
        switch failure {
        case .timeout(let inUse, let opening):
            let maximum = configuration.settings.maximum
            var message = "timed out after \(configuration.acquireTimeout) waiting for a connection to \(server):"
            message += " \(inUse) of \(maximum) connections in use"
            if opening > 0 { message += ", \(opening) still being opened (the server may be slow to accept logins)" }
            return PGError(.timeout, message)
        case .closed:
            return PGError(.closed, "the connection pool for \(server) is closed")
        case .cancelled:
            // Thrown as CancellationError (thrownForm), like every cancellation in PGWire.
            return PGError(.cancelled, "waiting for a connection to \(server) was cancelled")
        case .connect(let error):
            return error
        }
    }

    /// A connect error as the pool reports it: the same code, server fields (SQLSTATE 28P01
    /// stays 28P01) and errno, with a message that names the server even when the server's own
    /// message does not.
    func connectError(_ error: any Error) -> PGError {
        var failure = error as? PGError ?? PGError(.connectionFailed, "\(error)")
        failure.message = "could not open a connection to \(configuration.serverDescription): \(failure.message)"
        return failure
    }
}
