/// Checked access to what the server sent, for the places where the store indexes results or
/// computes with server integers.
///
/// Swift traps on an index past the end and on integer overflow; a server (or a proxy, or a
/// schema changed by hand) that answers with fewer results than statements, or with a version
/// at the edge of `int8`, must not bring the process down. Each helper throws
/// ``EventStoreError/Code/unexpectedResult`` naming what was wrong instead.
enum ServerData {
    /// `elements[index]`, or an error saying that fewer than `index + 1` of `what` came back.
    /// - Parameter what: what the elements are, plural ("results of the status batch").
    static func element<T>(_ index: Int, of elements: [T], _ what: @autoclosure () -> String) throws(EventStoreError) -> T {
        guard index >= 0, index < elements.count else {
            // No arithmetic on `index` here: the message must not trap either.
            throw EventStoreError(
                .unexpectedResult,
                "too few \(what()): the server sent \(elements.count), the store needs the one at index \(index)")
        }
        return elements[index]
    }

    /// `elements`, when there are exactly `count` of them: for answers that must match what was
    /// sent one for one (a row per event).
    static func exactly<T>(_ count: Int, _ elements: [T], _ what: @autoclosure () -> String) throws(EventStoreError) -> [T] {
        guard elements.count == count else {
            throw EventStoreError(.unexpectedResult, "expected \(count) \(what()), the server sent \(elements.count)")
        }
        return elements
    }

    /// A server `int8` that stands for an unsigned value (a transaction id), when it is not
    /// negative.
    static func unsigned(_ value: Int64, _ what: @autoclosure () -> String) throws(EventStoreError) -> UInt64 {
        guard value >= 0 else {
            throw EventStoreError(.unexpectedResult, "\(what()) is \(value), a negative number where none can be")
        }
        return UInt64(value)
    }

    /// `value + amount`, or an error when it leaves the range of `Int64`.
    static func sum(_ value: Int64, _ amount: Int64, _ what: @autoclosure () -> String) throws(EventStoreError) -> Int64 {
        let (result, overflow) = value.addingReportingOverflow(amount)
        guard !overflow else {
            throw EventStoreError(.unexpectedResult, "\(what()): \(value) + \(amount) is out of the range of int8")
        }
        return result
    }

    /// `value - amount`, or an error when it leaves the range of `Int64`.
    static func difference(_ value: Int64, _ amount: Int64, _ what: @autoclosure () -> String) throws(EventStoreError) -> Int64 {
        let (result, overflow) = value.subtractingReportingOverflow(amount)
        guard !overflow else {
            throw EventStoreError(.unexpectedResult, "\(what()): \(value) - \(amount) is out of the range of int8")
        }
        return result
    }
}
