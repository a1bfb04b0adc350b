/// Columns for people: a header and rows, each column as wide as its widest cell, two spaces
/// apart, numbers aligned on the right so their digits line up.
struct TextTable {
    enum Alignment {
        case left
        case right
    }

    let columns: [(title: String, alignment: Alignment)]
    var rows: [[String]] = []

    init(_ columns: [(title: String, alignment: Alignment)]) {
        self.columns = columns
    }

    /// The lines, each prefixed by `indent`, without trailing spaces.
    func text(indent: String = "") -> String {
        let all = [columns.map(\.title)] + rows
        let widths = columns.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        var text = ""
        for row in all {
            var line = indent
            for (column, width) in widths.enumerated() {
                let cell = row.indices.contains(column) ? row[column] : ""
                let padding = String(repeating: " ", count: width - cell.count)
                if column > 0 { line += "  " }
                line += columns[column].alignment == .right ? padding + cell : cell + padding
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}
