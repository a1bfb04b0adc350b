import Foundation
import Testing

@testable import PGEventStore

/// The opt-in partitioning is applied from the bytes embedded in the library: they must be
/// exactly sql/partitioned/partition_events.sql, which a DBA may apply by hand.
@Suite("Partitioning file") struct PartitioningFileTests {
    @Test func embeddedPartitioningIsTheFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../sql/partitioned/partition_events.sql").standardized
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(EmbeddedPartitioning.sql == text, "sql/partitioned/partition_events.sql differs from its copy: run scripts/embed-sql.sh")
    }

    /// Not a numbered migration: migrate() must never partition a store by itself.
    @Test func partitioningIsNotInTheMigrationChain() {
        #expect(!Migration.embedded.contains { $0.sql.contains("PARTITION BY") })
    }
}

/// The archive file's partition lines, written with fixed-width counts (filled in after the
/// data) and read back.
@Suite("Partition archive format") struct PartitionArchiveFormatTests {
    @Test func aPartitionLineRoundTripsAndKeepsItsLengthWhenTheCountsChange() throws {
        var section = PartitionArchiveFormat.Section(table: "events_101", lower: 101, upper: 201, rows: 0, bytes: 0)
        let empty = section.line
        section.rows = 100
        section.bytes = 12_345_678
        #expect(section.line.utf8.count == empty.utf8.count)
        #expect(PartitionArchiveFormat.Section(line: section.line) == section)
    }

    @Test(arguments: [
        "partition table=events_1 from=1 to=1 rows=0 bytes=0",  // empty range
        "partition table=events_1 from=1 to=101 rows=-1 bytes=0",
        "partition table=events_1 from=1 to=101 rows=1",
        "partition table= from=1 to=101 rows=1 bytes=2",
        "partitions table=events_1 from=1 to=101 rows=1 bytes=2",
        "partition table=events_1 from=x to=101 rows=1 bytes=2",
    ])
    func malformedPartitionLinesAreRefused(line: String) {
        #expect(PartitionArchiveFormat.Section(line: line) == nil)
    }
}
