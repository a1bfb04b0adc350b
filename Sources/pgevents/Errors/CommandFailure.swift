/// A failure pgevents itself reports: one line for stderr and the exit status.
struct CommandFailure: Error, Equatable, CustomStringConvertible {
    /// The line printed after `pgevents: error: `.
    var message: String
    /// The process exit status.
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = ExitStatus.failure) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}

/// The exit statuses pgevents documents.
enum ExitStatus {
    static let success: Int32 = 0
    /// Anything that went wrong at run time: the server, the network, the input.
    static let failure: Int32 = 1
    /// The command line is wrong: unknown option, missing or malformed argument.
    static let usage: Int32 = 2
    /// An append's expected version did not hold; nothing was written.
    static let versionConflict: Int32 = 3
}
