import PGWire
import Testing

/// The PGError that `body` throws, nil when it throws none; any other error is recorded as a
/// test failure.
func pgError(_ body: () throws -> Void) -> PGError? {
    do {
        try body()
        return nil
    } catch let error as PGError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}
