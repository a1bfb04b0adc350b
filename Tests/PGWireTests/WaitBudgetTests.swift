@testable import PGWire
import Testing

@Suite struct WaitBudgetTests {
    let start = ContinuousClock.now

    @Test func unboundedHasNoDeadlineAndAcceptsCancellation() {
        let budget = WaitBudget.unbounded
        #expect(budget.deadline == nil)
        #expect(budget.acceptsCancellation)
    }

    @Test func startupDeadlineFailsAtOnceWithATimeoutNamingTheServer() {
        var budget = WaitBudget(purpose: .startup(.seconds(2), server: "db:5432"), grace: .seconds(5), now: start)
        #expect(budget.deadline == start.advanced(by: .seconds(2)))
        guard case .fail(let error) = budget.deadlinePassed(now: start.advanced(by: .seconds(2))) else {
            Issue.record("a startup deadline must fail, not cancel")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("db:5432"))
    }

    @Test func cancellingStartupFailsWithoutACancelRequest() {
        var budget = WaitBudget(purpose: .startup(.seconds(2), server: "db"), grace: .seconds(5), now: start)
        guard case .fail(let error) = budget.taskCancelled(now: start) else {
            Issue.record("there is no backend to cancel during startup")
            return
        }
        #expect(error.code == .cancelled)
    }

    @Test func queryDeadlineCancelsFirstThenFailsAfterTheGrace() {
        var budget = WaitBudget(purpose: .query(.seconds(1)), grace: .milliseconds(500), now: start)
        let expiry = start.advanced(by: .seconds(1))
        #expect(budget.deadlinePassed(now: expiry) == .sendCancelRequest)
        #expect(budget.interruption == .timedOut)
        #expect(budget.deadline == expiry.advanced(by: .milliseconds(500)))
        #expect(!budget.acceptsCancellation)
        guard case .fail(let error) = budget.deadlinePassed(now: expiry.advanced(by: .milliseconds(500))) else {
            Issue.record("the grace must end in a failure")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("connection was closed"))
    }

    @Test func taskCancellationSendsACancelAndShortensTheDeadlineToTheGrace() {
        var budget = WaitBudget(purpose: .query(.seconds(60)), grace: .seconds(1), now: start)
        let now = start.advanced(by: .seconds(3))
        #expect(budget.taskCancelled(now: now) == .sendCancelRequest)
        #expect(budget.deadline == now.advanced(by: .seconds(1)))
        guard case .fail(let error) = budget.deadlinePassed(now: now.advanced(by: .seconds(1))) else {
            Issue.record("the grace must end in a failure")
            return
        }
        #expect(error.code == .cancelled)
    }

    @Test func taskCancellationNeverExtendsAnEarlierDeadline() {
        var budget = WaitBudget(purpose: .query(.milliseconds(100)), grace: .seconds(5), now: start)
        _ = budget.taskCancelled(now: start)
        #expect(budget.deadline == start.advanced(by: .milliseconds(100)))
    }

    @Test func unboundedBudgetGetsAGraceDeadlineWhenTheTaskIsCancelled() {
        var budget = WaitBudget(purpose: .unbounded, grace: .seconds(2), now: start)
        #expect(budget.taskCancelled(now: start) == .sendCancelRequest)
        #expect(budget.deadline == start.advanced(by: .seconds(2)))
    }

    @Test func theServersCancelAnswerToOurTimeoutIsATimeoutKeepingItsFields() {
        var budget = WaitBudget(purpose: .query(.seconds(1)), grace: .seconds(1), now: start)
        let canceled = PGError.server([.sqlState: PGSQLState.queryCanceled.rawValue, .message: "canceling statement due to user request"])
        #expect(budget.interpret(canceled) == canceled)  // no timeout yet: the user's own cancel
        _ = budget.deadlinePassed(now: start.advanced(by: .seconds(1)))
        let interpreted = budget.interpret(canceled)
        #expect(interpreted.code == .timeout)
        #expect(interpreted.sqlState == PGSQLState.queryCanceled)
        let other = PGError.server([.sqlState: "23505", .message: "duplicate key"])
        #expect(budget.interpret(other) == other)
    }
}

@Suite struct WaitBudgetCloseAfterTests {
    @Test func aBoundWithoutCancelClosesWhenItPassesAndSendsNoCancelRequest() {
        let start = ContinuousClock.now
        var budget = WaitBudget(purpose: .closeAfter(.seconds(3)), grace: .seconds(5), now: start)
        #expect(budget.deadline == start.advanced(by: .seconds(3)))
        guard case .fail(let error) = budget.deadlinePassed(now: start.advanced(by: .seconds(3))) else {
            Issue.record("a closeAfter bound must fail, never send a CancelRequest")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("closed"))
    }
}
