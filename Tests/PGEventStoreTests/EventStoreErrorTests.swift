import Testing

@testable import PGEventStore

private struct Cause: Error {}

@Suite struct EventStoreErrorTests {
    @Test func descriptionWithCodeAndMessageOnly() {
        #expect(EventStoreError(.notFound, "no such subscription").description == "notFound: no such subscription")
    }

    @Test func descriptionWithStreamAndVersions() {
        let error = EventStoreError(
            .versionConflict, "append rejected", stream: "order-1", expectedVersion: .exact(7), actualVersion: 9)
        #expect(error.description == "versionConflict: append rejected (stream: order-1, expected: 7, actual: 9)")
    }

    @Test func versionConflictWithoutActualVersionSaysNoStream() {
        let error = EventStoreError(.versionConflict, "append rejected", stream: "order-1", expectedVersion: .streamExists)
        #expect(error.description == "versionConflict: append rejected (stream: order-1, expected: exists, actual: no stream)")
    }

    @Test func otherCodesWithoutActualVersionShowNone() {
        let error = EventStoreError(.streamDeleted, "cannot append", stream: "order-1")
        #expect(error.description == "streamDeleted: cannot append (stream: order-1)")
    }

    @Test func codesAreDistinctAndNamed() {
        let codes: [EventStoreError.Code] = [
            .versionConflict, .duplicateEvent, .idempotencyViolation, .invalidArgument, .unregisteredEventType,
            .decoding, .schemaTooNew, .migrationFailed, .streamDeleted, .notFound, .acquireTimeout, .unexpectedResult,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(codes.map(\.description) == [
            "versionConflict", "duplicateEvent", "idempotencyViolation", "invalidArgument", "unregisteredEventType",
            "decoding", "schemaTooNew", "migrationFailed", "streamDeleted", "notFound", "acquireTimeout", "unexpectedResult",
        ])
    }

    @Test func keepsFieldsAndUnderlyingError() {
        let error = EventStoreError(
            .migrationFailed, "step 3 failed", stream: "s", expectedVersion: .any, actualVersion: nil, underlying: Cause())
        #expect(error.code == .migrationFailed)
        #expect(error.code != .schemaTooNew)
        #expect(error.message == "step 3 failed")
        #expect(error.stream == "s")
        #expect(error.expectedVersion == .any)
        #expect(error.actualVersion == nil)
        #expect(error.underlying is Cause)
    }
}

@Suite struct ExpectedVersionTextTests {
    @Test(arguments: [ExpectedVersion.any, .noStream, .streamExists, .exact(0), .exact(7), .exact(Int64.max)])
    func descriptionParsesBack(expected: ExpectedVersion) {
        #expect(ExpectedVersion(expected.description) == expected)
    }

    @Test(arguments: ["", "no stream", "-1", "7x", "ANY", "9223372036854775808"])
    func rejectsOtherText(text: String) {
        #expect(ExpectedVersion(text) == nil)
    }
}
