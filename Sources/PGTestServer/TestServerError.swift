import Foundation

/// Why a ``TestServer`` could not be started, used or stopped.
///
/// The description names the failing command and shows what it printed, and for a server
/// that would not start, the end of its log, so a test failure explains itself.
public struct TestServerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public var message: String
    /// The command that failed, as its arguments, if a command failed.
    public var command: [String]?
    /// The failing command's exit status, if it exited.
    public var exitStatus: Int32?
    /// What the command printed (standard output and standard error) and, when the server
    /// failed to start or stop, the end of its log; empty if there is nothing to show.
    public var output: String

    /// Creates an error; mostly for ``TestServer`` itself.
    public init(_ message: String, command: [String]? = nil, exitStatus: Int32? = nil, output: String = "") {
        self.message = message
        self.command = command
        self.exitStatus = exitStatus
        self.output = output
    }

    public var description: String {
        var text = "TestServerError: \(message)"
        if let command {
            text += "\n  command: " + command.map(Self.shellQuoted).joined(separator: " ")
        }
        if let exitStatus {
            text += "\n  exit status: \(exitStatus)"
        }
        if !output.isEmpty {
            let indented = output.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            text += "\n  output:\n" + indented.joined(separator: "\n")
        }
        return text
    }

    private static func shellQuoted(_ argument: String) -> String {
        let plain = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@+%".contains($0) }
        if plain && !argument.isEmpty { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

extension TestServerError {
    /// Adds `text` to ``output`` on a line of its own.
    mutating func appendOutput(_ text: String) {
        output = [output, text].filter { !$0.isEmpty }.joined(separator: "\n")
    }
}
