@testable import PGWire
import Testing

/// The pool's bookkeeping driven without I/O: plain objects stand for connections, integers
/// for waiting tasks, and time is passed in.
@Suite struct PoolStateMachineTests {
    final class FakeConnection: CustomStringConvertible {
        let number: Int
        init(_ number: Int) { self.number = number }
        var description: String { "connection \(number)" }
    }

    typealias Machine = PoolStateMachine<FakeConnection, Int>
    typealias Effects = Machine.Effects

    let t0 = ContinuousClock.now
    let timeout = Duration.seconds(10)

    static func machine(
        minimum: Int = 0, maximum: Int = 2, healthCheckAfterIdle: Duration? = .seconds(1),
        maximumLifetime: Duration? = .seconds(3600), idleTimeout: Duration? = .seconds(300)
    ) -> Machine {
        Machine(settings: .init(
            minimum: minimum, maximum: maximum, healthCheckAfterIdle: healthCheckAfterIdle,
            maximumLifetime: maximumLifetime, idleTimeout: idleTimeout))
    }

    /// Runs an acquire that finds no idle connection and queues `waiter`; returns the effects.
    @discardableResult
    func wait(_ machine: inout Machine, _ waiter: Int, at now: ContinuousClock.Instant) -> Effects {
        var effects = Effects()
        guard case .wait(let id) = machine.acquire(now: now, deadline: now + timeout, effects: &effects) else {
            Issue.record("expected to wait")
            return effects
        }
        guard case .queued = machine.enqueue(waiter, id: id, deadline: now + timeout, now: now, effects: &effects) else {
            Issue.record("expected to be queued")
            return effects
        }
        return effects
    }

    /// Opens a connection for the oldest waiter; returns who got it.
    func connect(_ machine: inout Machine, _ connection: FakeConnection, at now: ContinuousClock.Instant) -> Int? {
        var effects = Effects()
        machine.connected(connection, now: now, effects: &effects)
        #expect(effects.resume.count <= 1)
        return effects.resume.first?.waiter
    }

    @Test func firstAcquireWaitsForAConnectBoundedByItsDeadline() {
        var machine = Self.machine()
        let effects = wait(&machine, 1, at: t0)
        #expect(effects.connect == [t0 + timeout])
        #expect(effects.timer == .init(deadline: t0 + timeout, generation: 1))
        #expect(machine.opening == 1 && machine.waiterCount == 1)
        let connection = FakeConnection(1)
        #expect(connect(&machine, connection, at: t0) == 1)
        #expect(machine.lentCount == 1 && machine.opening == 0 && machine.waiterCount == 0)
    }

    @Test func releasedConnectionIsReusedWithoutCheckWhileFresh() {
        var machine = Self.machine()
        wait(&machine, 1, at: t0)
        let connection = FakeConnection(1)
        _ = connect(&machine, connection, at: t0)
        var effects = Effects()
        machine.release(connection, reusable: true, now: t0, effects: &effects)
        #expect(effects.isEmpty)
        #expect(machine.idleCount == 1 && machine.lentCount == 0)
        guard case .use(let again, let needsCheck) = machine.acquire(
            now: t0 + .milliseconds(500), deadline: t0 + timeout, effects: &effects)
        else { return #expect(Bool(false), "expected the idle connection") }
        #expect(again === connection)
        #expect(!needsCheck)
        #expect(effects.isEmpty)
    }

    @Test func neverMoreThanTheMaximumAndWaitersAreServedInOrder() {
        var machine = Self.machine(maximum: 2)
        var connects = 0
        for waiter in 1...4 { connects += wait(&machine, waiter, at: t0 + .milliseconds(waiter)).connect.count }
        #expect(connects == 2)
        #expect(machine.total == 2 && machine.waiterCount == 4)
        let a = FakeConnection(1), b = FakeConnection(2)
        #expect(connect(&machine, a, at: t0) == 1)
        #expect(connect(&machine, b, at: t0) == 2)
        var effects = Effects()
        machine.release(b, reusable: true, now: t0, effects: &effects)
        #expect(effects.resume.map(\.waiter) == [3])
        #expect(effects.resume.first?.connection === b)
        effects = Effects()
        machine.release(a, reusable: true, now: t0, effects: &effects)
        #expect(effects.resume.map(\.waiter) == [4])
        #expect(machine.idleCount == 0 && machine.lentCount == 2 && machine.total == 2)
    }

    @Test func connectionIdleLongerThanTheThresholdIsCheckedAndADeadOneIsReplaced() {
        var machine = Self.machine(maximum: 1)
        wait(&machine, 1, at: t0)
        let connection = FakeConnection(1)
        _ = connect(&machine, connection, at: t0)
        var effects = Effects()
        machine.release(connection, reusable: true, now: t0, effects: &effects)
        let later = t0 + .seconds(2)
        guard case .use(_, let needsCheck) = machine.acquire(now: later, deadline: later + timeout, effects: &effects)
        else { return #expect(Bool(false), "expected the idle connection") }
        #expect(needsCheck)
        // The check has the acquire's deadline: the timer watches it.
        #expect(machine.nextDeadline() == later + timeout)
        #expect(machine.checksRunning == 1)
        effects = Effects()
        #expect(!machine.checkFinished(connection, healthy: false, effects: &effects))
        #expect(effects.close.count == 1 && effects.close.first === connection)
        #expect(machine.total == 0)
        // The next attempt waits for a new connection; the slot is free for it.
        #expect(wait(&machine, 1, at: later).connect.count == 1)
    }

    @Test func healthyCheckKeepsTheConnection() {
        var machine = Self.machine(healthCheckAfterIdle: .zero)
        wait(&machine, 1, at: t0)
        let connection = FakeConnection(1)
        _ = connect(&machine, connection, at: t0)
        var effects = Effects()
        machine.release(connection, reusable: true, now: t0, effects: &effects)
        guard case .use(_, true) = machine.acquire(now: t0, deadline: t0 + timeout, effects: &effects)
        else { return #expect(Bool(false), "healthCheckAfterIdle zero checks every time") }
        #expect(machine.checkFinished(connection, healthy: true, effects: &effects))
        #expect(machine.checksRunning == 0 && machine.lentCount == 1)
    }

    @Test func stuckHealthCheckIsInterruptedAtTheDeadline() {
        var machine = Self.machine(healthCheckAfterIdle: .zero)
        wait(&machine, 1, at: t0)
        let connection = FakeConnection(1)
        _ = connect(&machine, connection, at: t0)
        var effects = Effects()
        machine.release(connection, reusable: true, now: t0, effects: &effects)
        _ = machine.acquire(now: t0 + .seconds(1), deadline: t0 + .seconds(11), effects: &effects)
        let generation = machine.timerGeneration
        effects = Effects()
        #expect(machine.timerFired(generation: generation, now: t0 + .seconds(11), effects: &effects) == nil)
        #expect(effects.interrupt.first === connection)
        #expect(effects.close.isEmpty)  // still lent: its borrower gives it back
        effects = Effects()
        #expect(!machine.checkFinished(connection, healthy: false, effects: &effects))
        #expect(machine.total == 0)
    }

    @Test func waiterTimesOutWithTheCounts() {
        var machine = Self.machine(maximum: 1)
        wait(&machine, 1, at: t0)
        _ = connect(&machine, FakeConnection(1), at: t0)
        let effects = wait(&machine, 2, at: t0 + .seconds(1))
        #expect(effects.connect.isEmpty)  // at the maximum: no connect
        let generation = machine.timerGeneration
        var fired = Effects()
        // Woken at the first deadline (t0 + 10 s, now stale), it sleeps on to waiter 2's.
        #expect(machine.timerFired(generation: generation, now: t0 + timeout, effects: &fired) == t0 + .seconds(11))
        #expect(fired.fail.isEmpty)
        #expect(machine.timerFired(generation: generation, now: t0 + .seconds(11), effects: &fired) == nil)
        #expect(fired.fail.map(\.waiter) == [2])
        #expect(fired.fail.first?.failure == .timeout(inUse: 1, opening: 0))
        #expect(machine.waiterCount == 0 && machine.timerTarget == nil)
    }

    @Test func staleTimerDoesNothing() {
        var machine = Self.machine()
        var effects = Effects()
        machine.schedule(t0 + .seconds(5), effects: &effects)
        machine.schedule(t0 + .seconds(2), effects: &effects)  // earlier: a new timer takes over
        #expect(effects.timer == .init(deadline: t0 + .seconds(2), generation: 2))
        effects = Effects()
        machine.schedule(t0 + .seconds(3), effects: &effects)  // later: the running one will do
        #expect(effects.timer == nil)
        #expect(machine.timerFired(generation: 1, now: t0 + .seconds(5), effects: &effects) == nil)
        #expect(machine.timerTarget == t0 + .seconds(2))
    }

    @Test func connectFailureFailsTheOldestWaiterOnceAndNeverRetriesAlone() {
        var machine = Self.machine(maximum: 1)
        wait(&machine, 1, at: t0)
        wait(&machine, 2, at: t0 + .milliseconds(1))
        let error = PGError(.connectionRefused, "could not connect to server at 127.0.0.1:1")
        var effects = Effects()
        machine.connectFailed(error, effects: &effects)
        #expect(effects.fail.map(\.waiter) == [1])
        #expect(effects.fail.first?.failure == .connect(error))
        // Waiter 2 still waits: one new attempt for it, bounded by its deadline.
        #expect(effects.connect == [t0 + .milliseconds(1) + timeout])
        effects = Effects()
        machine.connectFailed(error, effects: &effects)
        #expect(effects.fail.map(\.waiter) == [2])
        #expect(effects.connect.isEmpty)  // nobody waits: no retry
        #expect(machine.total == 0)
    }

    @Test func brokenConnectionIsClosedAndReplacedForAWaiter() {
        var machine = Self.machine(maximum: 1)
        wait(&machine, 1, at: t0)
        let connection = FakeConnection(1)
        _ = connect(&machine, connection, at: t0)
        wait(&machine, 2, at: t0)
        var effects = Effects()
        machine.release(connection, reusable: false, now: t0, effects: &effects)
        #expect(effects.close.first === connection)
        #expect(effects.resume.isEmpty)
        #expect(effects.connect == [t0 + timeout])
    }

    @Test func connectionPastItsLifetimeIsClosedOnReleaseAndOnAcquire() {
        var machine = Self.machine(maximum: 2, maximumLifetime: .seconds(60))
        wait(&machine, 1, at: t0)
        wait(&machine, 2, at: t0)
        let a = FakeConnection(1), b = FakeConnection(2)
        _ = connect(&machine, a, at: t0)
        _ = connect(&machine, b, at: t0)
        var effects = Effects()
        machine.release(a, reusable: true, now: t0 + .seconds(59), effects: &effects)
        #expect(effects.close.isEmpty)
        machine.release(b, reusable: true, now: t0 + .seconds(61), effects: &effects)
        #expect(effects.close.first === b)
        effects = Effects()
        let later = t0 + .seconds(61)
        guard case .wait = machine.acquire(now: later, deadline: later + timeout, effects: &effects)
        else { return #expect(Bool(false), "the expired idle connection must not be handed out") }
        #expect(effects.close.first === a)
        #expect(machine.total == 0)
    }

    @Test func idleTimeoutClosesAboveTheMinimumOnRelease() {
        var machine = Self.machine(minimum: 1, maximum: 3, idleTimeout: .seconds(5))
        let connections = (1...3).map(FakeConnection.init)
        for (index, connection) in connections.enumerated() {
            wait(&machine, index, at: t0)
            _ = connect(&machine, connection, at: t0)
        }
        var effects = Effects()
        machine.release(connections[0], reusable: true, now: t0, effects: &effects)
        machine.release(connections[1], reusable: true, now: t0 + .seconds(1), effects: &effects)
        #expect(effects.close.isEmpty)
        machine.release(connections[2], reusable: true, now: t0 + .seconds(6), effects: &effects)
        // One per release: the longest idle first.
        #expect(effects.close.map(\.number) == [1])
        machine.housekeeping(now: t0 + .seconds(20), effects: &effects)
        #expect(effects.close.map(\.number) == [1, 2])
        #expect(machine.idleCount == 1)  // the minimum stays
    }

    @Test func housekeepingWarmsUpTheMinimum() {
        var machine = Self.machine(minimum: 2, maximum: 4)
        var effects = Effects()
        machine.housekeeping(now: t0, effects: &effects)
        #expect(effects.connect == [nil, nil])
        effects = Effects()
        machine.housekeeping(now: t0, effects: &effects)
        #expect(effects.connect.isEmpty)  // the two are on their way
        machine.connected(FakeConnection(1), now: t0, effects: &effects)
        machine.connected(FakeConnection(2), now: t0, effects: &effects)
        #expect(machine.idleCount == 2 && effects.resume.isEmpty)
    }

    @Test func closeFailsWaitersClosesIdleAndWaitsForLentConnections() {
        var machine = Self.machine(maximum: 2)
        wait(&machine, 1, at: t0)
        wait(&machine, 2, at: t0)
        let a = FakeConnection(1), b = FakeConnection(2)
        _ = connect(&machine, a, at: t0)
        _ = connect(&machine, b, at: t0)
        var effects = Effects()
        machine.release(a, reusable: true, now: t0, effects: &effects)
        effects = Effects()
        guard case .use(let taken, false) = machine.acquire(now: t0, deadline: t0 + timeout, effects: &effects)
        else { return #expect(Bool(false), "expected the idle connection") }
        #expect(taken === a)
        #expect(machine.lentCount == 2)
        let waiterEffects = wait(&machine, 4, at: t0)
        #expect(waiterEffects.connect.isEmpty)
        effects = Effects()
        machine.beginClose(deadline: t0 + .seconds(5), now: t0, effects: &effects)
        #expect(effects.fail.map(\.waiter) == [4])
        #expect(effects.fail.first?.failure == .closed)
        #expect(!effects.closeFinished)
        #expect(effects.timer?.deadline == t0 + .seconds(5))
        guard case .fail(.closed) = machine.acquire(now: t0, deadline: t0 + timeout, effects: &effects)
        else { return #expect(Bool(false), "a closing pool lends nothing") }
        effects = Effects()
        machine.release(a, reusable: true, now: t0, effects: &effects)
        #expect(effects.close.first === a && !effects.closeFinished)
        effects = Effects()
        machine.release(b, reusable: true, now: t0, effects: &effects)
        #expect(effects.close.first === b && effects.closeFinished)
        #expect(machine.phase == .closed)
    }

    @Test func closeDeadlineInterruptsConnectionsStillLent() {
        var machine = Self.machine()
        wait(&machine, 1, at: t0)
        let connection = FakeConnection(1)
        _ = connect(&machine, connection, at: t0)
        var effects = Effects()
        machine.beginClose(deadline: t0 + .seconds(1), now: t0, effects: &effects)
        let generation = machine.timerGeneration
        effects = Effects()
        #expect(machine.timerFired(generation: generation, now: t0 + .seconds(1), effects: &effects) == nil)
        #expect(effects.interrupt.first === connection && effects.closeFinished)
        #expect(machine.phase == .closed)
        // Given back later: closed, counted out, no second "finished".
        effects = Effects()
        machine.release(connection, reusable: true, now: t0 + .seconds(2), effects: &effects)
        #expect(effects.close.first === connection && !effects.closeFinished)
        #expect(machine.total == 0)
    }

    @Test func closeWithNothingLentFinishesAtOnce() {
        var machine = Self.machine()
        var effects = Effects()
        machine.beginClose(deadline: t0 + .seconds(1), now: t0, effects: &effects)
        #expect(effects.closeFinished && machine.phase == .closed)
    }

    @Test func connectFinishingAfterCloseIsClosed() {
        var machine = Self.machine()
        wait(&machine, 1, at: t0)
        var effects = Effects()
        machine.beginClose(deadline: t0 + .seconds(1), now: t0, effects: &effects)
        #expect(!effects.closeFinished)  // a connect is in flight
        effects = Effects()
        let late = FakeConnection(1)
        machine.connected(late, now: t0, effects: &effects)
        #expect(effects.close.first === late && effects.closeFinished)
    }

    @Test func cancelledWaiterLeavesTheQueue() {
        var machine = Self.machine(maximum: 1)
        wait(&machine, 1, at: t0)
        _ = connect(&machine, FakeConnection(1), at: t0)
        var effects = Effects()
        guard case .wait(let id) = machine.acquire(now: t0, deadline: t0 + timeout, effects: &effects) else { return }
        _ = machine.enqueue(2, id: id, deadline: t0 + timeout, now: t0, effects: &effects)
        #expect(machine.cancelWaiter(id: id) == 2)
        #expect(machine.cancelWaiter(id: id) == nil)
        #expect(machine.waiterCount == 0)
    }

    @Test func waiterQueueKeepsDeadlineOrderAndCompacts() {
        var queue = WaiterQueue<Int>()
        for index in 0..<100 { queue.insert(.init(id: UInt64(index), waiter: index, deadline: t0 + .milliseconds(index * 10))) }
        // A waiter back from a failed check keeps its earlier deadline, so its place in line.
        queue.insert(.init(id: 1000, waiter: 1000, deadline: t0 + .milliseconds(15)))
        #expect(queue[2].waiter == 1000)
        #expect(queue.remove(id: 1000)?.waiter == 1000)
        for expected in 0..<60 { #expect(queue.popFirst()?.waiter == expected) }
        #expect(queue.count == 40 && queue.first?.waiter == 60)
        let expired = queue.removeExpired(now: t0 + .milliseconds(700))
        #expect(expired.map(\.waiter) == Array(60...70))
        #expect(queue.remove(id: 99)?.waiter == 99)
        #expect(queue.removeAll().map(\.waiter) == Array(71...98))
        #expect(queue.isEmpty && queue.popFirst() == nil)
    }
}
