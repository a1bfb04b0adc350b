/// Where a subscription starts when it has no checkpoint yet (its first run, or an unnamed
/// follower). A subscription with a checkpoint always resumes after it; move it with
/// ``EventStore/resetSubscription(_:to:)``.
@nonexhaustive
public enum SubscriptionStart: Sendable, Hashable {
    /// Before the first event: the whole log is handled.
    case start
    /// After the events committed so far (below the read barrier at the first run): only new
    /// events are handled.
    case end
    /// After this place in the global order.
    case after(GlobalPosition)
    /// After the event at this position (`pgevents tail --from 1234`); the event must exist.
    case afterPosition(Int64)
}
