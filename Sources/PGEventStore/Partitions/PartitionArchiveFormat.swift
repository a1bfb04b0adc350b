/// The layout of a partition archive file, written by ``EventStore/archivePartitions(before:to:)``
/// and read by ``EventStore/restorePartitions(from:)``:
///
/// ```
/// PGEVENTS ARCHIVE 1\n
/// schema=<schema version>\n
/// partition table=<name> from=<lower> to=<upper> rows=<20 digits> bytes=<20 digits>\n
/// <bytes: the partition's rows as PostgreSQL binary COPY data, header and trailer included>
/// ... one partition line and its data per partition ...
/// end\n
/// ```
///
/// Text lines so that `head -c 300 FILE` shows what a file holds; the schema version because
/// binary COPY data carries no column types and loads only into the same columns; the bounds so
/// that a restore knows where the rows go without reading them. `rows` and `bytes` have a fixed
/// width: they are written as zeros before the data streams out of the server and filled in
/// afterwards. The
/// final `end` line tells a whole file from a truncated one.
enum PartitionArchiveFormat {
    static let magic = "PGEVENTS ARCHIVE 1"
    static let endLine = "end"
    /// The width of the `rows=` and `bytes=` fields.
    static let countWidth = 20
    /// A header line longer than this is not one of ours (a file that is not an archive).
    static let maximumLineLength = 512

    /// One partition's header line.
    struct Section: Equatable {
        var table: String
        var lower: Int64
        var upper: Int64
        var rows: Int64
        var bytes: Int64

        /// The line, with `rows` and `bytes` at a fixed width: it is written before they are
        /// known and overwritten in place after.
        var line: String {
            func padded(_ value: Int64) -> String {
                let digits = String(value)
                return String(repeating: "0", count: max(0, countWidth - digits.count)) + digits
            }
            return "partition table=\(table) from=\(lower) to=\(upper) rows=\(padded(rows)) bytes=\(padded(bytes))"
        }

        /// Parses a partition line; nil when it is not one.
        init?(line: String) {
            let words = line.split(separator: " ")
            guard words.count == 6, words[0] == "partition" else { return nil }
            var fields: [Substring: Substring] = [:]
            for word in words.dropFirst() {
                guard let equals = word.firstIndex(of: "=") else { return nil }
                fields[word[..<equals]] = word[word.index(after: equals)...]
            }
            guard let table = fields["table"], !table.isEmpty, table.utf8.count <= 63,
                let lower = fields["from"].flatMap({ Int64($0) }), let upper = fields["to"].flatMap({ Int64($0) }),
                let rows = fields["rows"].flatMap({ Int64($0) }), let bytes = fields["bytes"].flatMap({ Int64($0) }),
                upper > lower, rows >= 0, bytes >= 0
            else { return nil }
            self.init(table: String(table), lower: lower, upper: upper, rows: rows, bytes: bytes)
        }

        init(table: String, lower: Int64, upper: Int64, rows: Int64, bytes: Int64) {
            self.table = table
            self.lower = lower
            self.upper = upper
            self.rows = rows
            self.bytes = bytes
        }
    }

    static func schemaLine(_ version: Int) -> String { "schema=\(version)" }

    static func schemaVersion(_ line: String) -> Int? {
        guard line.hasPrefix("schema=") else { return nil }
        return Int(line.dropFirst("schema=".count))
    }
}
