import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The entry point: parses the command line, runs the command and turns every outcome into
/// pgevents' exit statuses (ArgumentParser's own would make a usage error 64, not 2).
@main
enum Main {
    static func main() async {
        exit(await run(Array(CommandLine.arguments.dropFirst())))
    }

    /// Runs one command line; returns the exit status.
    static func run(_ arguments: [String]) async -> Int32 {
        let command: any ParsableCommand
        do {
            command = try PGEventsCommand.parseAsRoot(arguments)
        } catch {
            return reportParserOutcome(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
            StandardOutput.shared.flush()
            return ExitStatus.success
        } catch {
            StandardOutput.shared.flush()
            // `pgevents --help` and `pgevents help X` parse into ArgumentParser's own help
            // command, whose run() throws the help request.
            let parserCode = PGEventsCommand.exitCode(for: error)
            if !(error is ValidationError), parserCode == .success || parserCode == .validationFailure {
                return reportParserOutcome(error)
            }
            let schema = (command as? any StoreCommand)?.global.schema
            let report = ErrorReport(error, schema: schema)
            Diagnostics.error(report.message)
            return report.exitCode
        }
    }

    /// Help, --version and completion scripts are clean exits, printed to stdout; any other
    /// parser error is a usage error, printed with the usage to stderr.
    private static func reportParserOutcome(_ error: any Error) -> Int32 {
        let message = PGEventsCommand.fullMessage(for: error)
        if PGEventsCommand.exitCode(for: error) == .success {
            StandardOutput.shared.write(message + "\n")
            StandardOutput.shared.flush()
            return ExitStatus.success
        }
        Diagnostics.emit(message + "\n")
        return ExitStatus.usage
    }
}

/// A command that works on the store, so errors can name its schema.
protocol StoreCommand {
    var global: GlobalOptions { get }
}
