import Foundation

/// SQL identifiers for the few statements pgevents writes itself.
enum SQLName {
    /// `name` as a quoted identifier: `"my ""odd"" schema"`.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
