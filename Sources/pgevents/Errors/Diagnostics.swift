/// Lines for the user on stderr, prefixed `pgevents: `.
enum Diagnostics {
    /// Progress worth knowing that is not the command's output (creating the cluster, waiting
    /// for a lock).
    static func notice(_ message: String) {
        writeLine("pgevents: " + message)
    }

    /// The one line describing why the command failed.
    static func error(_ message: String) {
        writeLine("pgevents: error: " + message)
    }

    /// Writes raw text to stderr, unbuffered.
    static func emit(_ text: String) {
        var text = text
        text.withUTF8 { _ = WriteAll.write(2, UnsafeRawBufferPointer($0)) }
    }

    private static func writeLine(_ line: String) {
        emit(line + "\n")
    }
}
