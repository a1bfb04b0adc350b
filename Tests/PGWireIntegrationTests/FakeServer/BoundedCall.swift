import PGWire
import Testing

/// The outcome of a client call made against a fake server: what it returned or threw, and
/// how long it took.
struct BoundedOutcome<Value: Sendable>: Sendable {
    var result: Result<Value, any Error>
    var elapsed: Duration

    /// The PGError thrown, or nil (another error, or none).
    var pgError: PGError? {
        if case .failure(let error) = result { return error as? PGError }
        return nil
    }
}

/// Thrown when a bounded call did not finish in time.
struct Hung: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "hung: no result within \(limit)" }
}

/// Runs `body`, racing it against `limit` (default 45 s), so a client that hangs fails the
/// test instead of blocking the suite. The bounds are generous on purpose: when the whole suite
/// starts its servers at once on 2 cores, an answer that takes milliseconds alone took up to
/// 17 s, and a hang is still caught.
///
/// On a hang, `server` is stopped first: that closes the sockets, so a client stuck in a read
/// sees its connection end and `body` returns; only then can the task group finish (a group
/// waits for every child, cancelled or not, and a blocked read may ignore cancellation).
func bounded<Value: Sendable>(
    _ limit: Duration = .seconds(45), stopping server: ScriptedServer? = nil,
    _ body: @escaping @Sendable () async throws -> Value
) async -> BoundedOutcome<Value> {
    let start = ContinuousClock.now
    let result: Result<Value, any Error> = await withTaskGroup(of: Result<Value, any Error>?.self) { group in
        group.addTask {
            do { return .success(try await body()) } catch { return .failure(error) }
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return Task.isCancelled ? nil : .failure(Hung(limit: limit))
        }
        var first: Result<Value, any Error>?
        while first == nil, let next = await group.next() { first = next }
        if case .failure(let error) = first, error is Hung { await server?.stopOffThePool() }
        group.cancelAll()
        return first ?? .failure(Hung(limit: limit))
    }
    return BoundedOutcome(result: result, elapsed: ContinuousClock.now - start)
}

/// Asserts that `body` throws a PGError with `code` within `within` (and does not hang);
/// returns the error for further checks.
@discardableResult
func expectPGError<Value: Sendable>(
    _ code: PGError.Code, within: Duration = .seconds(30), stopping server: ScriptedServer? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> Value
) async -> PGError? {
    let outcome = await bounded(stopping: server, body)
    switch outcome.result {
    case .success(let value):
        Issue.record("expected PGError(\(code)), got success: \(value)", sourceLocation: sourceLocation)
        return nil
    case .failure(let error as PGError):
        #expect(error.code == code, "expected \(code), got \(error)", sourceLocation: sourceLocation)
        #expect(outcome.elapsed < within, "took \(outcome.elapsed), bound \(within)", sourceLocation: sourceLocation)
        return error
    case .failure(let error):
        Issue.record("expected PGError(\(code)), got \(error) after \(outcome.elapsed)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Asserts that `body` succeeds within the bound; returns its value.
func expectSuccess<Value: Sendable>(
    within: Duration = .seconds(30), stopping server: ScriptedServer? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> Value
) async -> Value? {
    let outcome = await bounded(stopping: server, body)
    switch outcome.result {
    case .success(let value):
        #expect(outcome.elapsed < within, "took \(outcome.elapsed), bound \(within)", sourceLocation: sourceLocation)
        return value
    case .failure(let error):
        Issue.record("expected success, got \(error) after \(outcome.elapsed)", sourceLocation: sourceLocation)
        return nil
    }
}

extension PGConnection.Configuration {
    /// The configuration for a ``ScriptedServer``: user `fake`, no TLS, a short connect timeout.
    static func fake(_ server: ScriptedServer, password: String? = nil, connectTimeout: Duration = .seconds(10)) -> Self {
        PGConnection.Configuration(
            host: "127.0.0.1", port: server.port, user: "fake", password: password, connectTimeout: connectTimeout)
    }
}

/// Connects to `server` (expected to succeed); nil after recording an issue.
func connectFake(
    _ server: ScriptedServer, password: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
) async -> PGConnection? {
    let configuration = PGConnection.Configuration.fake(server, password: password)
    return await expectSuccess(stopping: server, sourceLocation: sourceLocation) {
        try await PGConnection.connect(configuration)
    }
}
