/// How long to wait before each attempt to reconnect: exponential, capped, with jitter so
/// that many clients that lost one server do not all come back in the same instant.
public struct ReconnectBackoff: Sendable, Equatable {
    /// The wait after the first failed attempt.
    public var initial: Duration
    /// The longest wait.
    public var maximum: Duration
    /// How much each wait grows over the one before.
    public var multiplier: Double
    /// The fraction by which a wait varies at random, both ways (0.2: from 80% to 120%).
    public var jitter: Double

    /// A backoff from `initial` growing by `multiplier` per failed attempt up to `maximum`, each
    /// wait varied by up to ±`jitter`. A `multiplier` below 1 counts as 1, and `jitter` is kept
    /// within 0...1.
    public init(
        initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10), multiplier: Double = 2,
        jitter: Double = 0.2
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = max(1, multiplier)
        self.jitter = min(max(0, jitter), 1)
    }

    /// The wait before attempt `attempt + 1`, counting failed attempts from 0.
    public func delay(afterFailures attempt: Int, random: Double = Double.random(in: -1...1)) -> Duration {
        let base = Self.seconds(initial) * power(multiplier, min(attempt, 64))
        let capped = min(base, Self.seconds(maximum))
        let varied = capped * (1 + jitter * min(max(random, -1), 1))
        return .nanoseconds(Int64(max(0, varied) * 1e9))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// `base` to a small whole power (the backoff's growth), by squaring.
private func power(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    var remaining = exponent
    var factor = base
    while remaining > 0 {
        if remaining & 1 == 1 { result *= factor }
        factor *= factor
        remaining >>= 1
    }
    return result
}
