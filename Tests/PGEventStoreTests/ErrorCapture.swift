import PGEventStore
import Testing

/// The ``EventStoreError`` that `body` throws, nil when it throws none; any other error is
/// recorded as a test failure.
func error(of body: () throws -> Void) -> EventStoreError? {
    do {
        try body()
        return nil
    } catch let error as EventStoreError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}
